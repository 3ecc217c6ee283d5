//! Redis entity processors of the auth module.

pub mod resend;
pub mod session;
