//! The manage module's use cases. No SQL here: entities do the storage.

pub mod admin_account;
