//! The `manage` module: the people who run a Helium deployment.
//!
//! It holds admin accounts and their roles, the credentials admins sign in with, invitations
//! for new admins and the audit log of everything admins change. `helium-cli` and the admin
//! gRPC API call the same services. Customer accounts stay the auth module's: the admin API
//! reaches them through its services, never its tables.
//!
//! # Layout
//!
//! - [`config`]: the `admin-jwt` configuration.
//! - [`entities`]: SQL for the `manage` schema and nothing else.
//! - [`services`]: the use cases with their rules, including who may call them
//!   ([`services::access`]).
//! - [`rpc`]: the tonic services `AdminAuthService` and `AdminService`.
//! - [`events`]: what the module announces on RabbitMQ.
//! - [`pb`]: the types generated from `proto/manage/`.

#![forbid(unsafe_code)]
#![forbid(clippy::unwrap_used)]
#![deny(clippy::expect_used)]
#![deny(clippy::panic)]

pub mod config;
pub mod entities;
pub mod events;
pub mod role;
pub mod rpc;
pub mod services;

pub use role::AdminRole;

/// Messages, servers and clients generated from `proto/manage/` (package `helium.manage.v1`).
#[allow(clippy::all)]
pub mod pb {
    include!(concat!(env!("OUT_DIR"), "/helium.manage.v1.rs"));
}
