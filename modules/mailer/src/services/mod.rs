//! The mailer's use case: deliver one queued email.

mod delivery;

pub use delivery::MailDelivery;
