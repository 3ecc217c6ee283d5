//! PostgreSQL entity processors of the `auth` schema.

pub mod customer_admin;
pub mod email_link;
pub mod mfa;
pub mod oauth_identity;
pub mod session;
pub mod user_account;
