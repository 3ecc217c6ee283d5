//! Integration tests of the shield against the real Redis (and PostgreSQL for configuration).
//! One binary, one module per feature.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod config;
mod email;
mod keys;
mod lockout;
mod sign_in;
mod support;
