//! PostgreSQL entity processors of the `auth` schema.

pub mod email_link;
pub mod session;
pub mod user_account;
