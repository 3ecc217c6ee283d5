//! PostgreSQL entity processors.

pub mod admin_account;
