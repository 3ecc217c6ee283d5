//! Redis entity processors of the auth module.

pub mod mfa_challenge;
pub mod oauth_state;
pub mod resend;
pub mod reverification;
pub mod session;
