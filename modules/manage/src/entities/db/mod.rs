//! PostgreSQL entity processors.

pub mod admin_account;
pub mod admin_credential;
pub mod admin_invitation;
pub mod audit_log;
