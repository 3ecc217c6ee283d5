//! The `manage` module: the people who run a Helium deployment.
//!
//! So far it holds admin accounts and their roles, which `helium-cli` administers; the gRPC
//! admin API, invitations and credentials build on the same services.
//!
//! # Layout
//!
//! - [`config`]: the `admin-jwt` configuration.
//! - [`entities`]: SQL for `manage.admin_account` and nothing else.
//! - [`services`]: the use cases (list, show, create, delete) with their rules.
//! - [`events`]: what the module announces on RabbitMQ.

#![forbid(unsafe_code)]
#![forbid(clippy::unwrap_used)]
#![deny(clippy::expect_used)]
#![deny(clippy::panic)]

pub mod config;
pub mod entities;
pub mod events;
pub mod role;
pub mod services;

pub use role::AdminRole;
