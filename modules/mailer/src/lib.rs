//! The `mailer` module: delivers queued emails over SMTP.
//!
//! Modules render their own templates and queue a [`events::SendEmail`] job; the `mailer`
//! worker consumes the `mailer.send` queue and hands each message to the SMTP server named by
//! the `mailer` configuration. Retries, back-off and dead-lettering come from the framework's
//! consumer loop.
//!
//! # Layout
//!
//! - [`config`]: the `mailer` configuration.
//! - [`events`]: the job message and its routing key.
//! - [`services`]: SMTP delivery, deduplicated by message id.

#![forbid(unsafe_code)]
#![forbid(clippy::unwrap_used)]
#![deny(clippy::expect_used)]
#![deny(clippy::panic)]

pub mod config;
pub mod events;
pub mod services;
