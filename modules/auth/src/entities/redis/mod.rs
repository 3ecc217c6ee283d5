//! Redis entity processors of the auth module.

pub mod mfa_challenge;
pub mod resend;
pub mod session;
