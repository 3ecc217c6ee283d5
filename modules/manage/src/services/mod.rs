//! The manage module's use cases. No SQL here: entities do the storage.
//!
//! - [`access`]: the permission matrix and the grants that prove a check.
//! - [`credential`]: signing in, sessions, rotating and issuing credentials.
//! - [`admin_account`]: listing, creating and deleting admin accounts.
//! - [`invitation`]: inviting admins and accepting invitations.
//! - [`audit_log`]: reading the audit log.
//! - [`customer`]: customer accounts, through the auth module's services.
//! - [`token`]: admin access tokens.
//! - [`secret`]: the type that keeps secrets out of logs.

pub mod access;
pub mod admin_account;
pub mod audit_log;
pub mod credential;
pub mod customer;
pub mod invitation;
pub mod secret;
pub mod token;
