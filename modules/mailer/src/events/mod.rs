//! The mailer's job message, from `proto/mailer`.

#[allow(clippy::all)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/helium.mailer.v1.rs"));
}

pub use generated::SendEmail;

/// Routing key of [`SendEmail`] jobs.
pub const SEND_EMAIL: &str = "mailer.email.send";
/// The queue the mailer worker consumes.
pub const SEND_QUEUE: &str = "mailer.send";
