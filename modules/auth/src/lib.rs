//! The `auth` module: customers' accounts, from registration to sign-out.
//!
//! # Layout
//!
//! - [`config`]: the `auth` configuration.
//! - [`cache`]: each worker's memory of live sessions and profiles, kept true by database
//!   notifications.
//! - [`entities`]: SQL for the `auth` schema, and the Redis session markers and MFA
//!   challenges; nothing else.
//! - [`services`]: registration by email link, password sign-in with an optional TOTP second
//!   factor, sessions with rotating refresh tokens, password reset, and the account's own
//!   views.
//! - [`rpc`]: the `helium.auth.v1` gRPC services over those use cases.
//! - [`cron`]: the purge of old email links.

#![forbid(unsafe_code)]
#![forbid(clippy::unwrap_used)]
#![deny(clippy::expect_used)]
#![deny(clippy::panic)]

pub mod cache;
pub mod config;
pub mod cron;
pub mod entities;
pub mod password;
pub mod rpc;
pub mod services;
