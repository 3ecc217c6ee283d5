//! The `shield` module: abuse protection for the parts of Helium that face the public.
//!
//! It limits sign-in attempts per account and per source address, limits registration and
//! password-reset emails per source address and per recipient, and locks an account's
//! password sign-in for a while after repeated failures. A refusal is
//! `ServiceError::ResourceExhausted` with the real time left before a retry can succeed.
//! Counters and locks live in Redis only: losing them forgets some history, nothing more.
//!
//! Shield owns no RPC of its own; `auth` calls its services in process.
//!
//! # Layout
//!
//! - [`config`]: the `shield` configuration, with defaults used while none is stored.
//! - [`entities`]: the Redis counters and locks, and their key layout.
//! - [`services`]: the [`services::Shield`] service that admits or refuses requests.

#![forbid(unsafe_code)]
#![forbid(clippy::unwrap_used)]
#![deny(clippy::expect_used)]
#![deny(clippy::panic)]

pub mod config;
pub mod entities;
pub mod services;
