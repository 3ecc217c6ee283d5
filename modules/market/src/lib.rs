//! The `market` module (marketing and affiliate).
//!
//! So far it holds the module's typed configuration, which `helium-cli` initialises and
//! validates; its entities, services and APIs arrive with the issues that build them.

#![forbid(unsafe_code)]
#![forbid(clippy::unwrap_used)]
#![deny(clippy::expect_used)]
#![deny(clippy::panic)]

pub mod config;
