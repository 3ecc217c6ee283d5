//! What the manage module announces, as protobuf messages under `proto/manage`.

pub use crate::pb::{AdminAccountCreated, AdminAccountDeleted};

/// Routing key of [`AdminAccountCreated`].
pub const ADMIN_ACCOUNT_CREATED: &str = "manage.admin_account.created";
/// Routing key of [`AdminAccountDeleted`].
pub const ADMIN_ACCOUNT_DELETED: &str = "manage.admin_account.deleted";
