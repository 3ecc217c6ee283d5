//! The cross-cutting pieces every Helium module and worker stands on.
//!
//! # Layout
//!
//! - [`processor`]: the `Processor` pattern and the [`processor::DatabaseProcessor`] that
//!   entity processors implement their SQL on.
//! - [`redis`]: the pooled Redis connection shared by a process.
//! - [`amqp`]: the RabbitMQ connection, publishing with confirms, and the consumer loop with
//!   retries and a dead-letter queue.
//! - [`outbox`]: the transactional outbox and the relay that drains it into RabbitMQ.
//! - [`config`]: typed module configuration stored in PostgreSQL and copied to Redis.
//! - [`cron`]: scheduled jobs, one PostgreSQL advisory lock per job.
//! - [`health`]: the `/healthz`, `/readyz` and `/metrics` server every worker runs.
//! - [`telemetry`]: logging, tracing and the optional OpenTelemetry export.
//! - [`error`]: the error every service returns and its mapping to gRPC statuses.
//! - [`grpc`]: the caller's address and timestamps, for the modules' gRPC layers.
//! - [`env`]: reading the process environment with errors that name the variable.
//! - [`shutdown`]: the signal that starts a graceful stop.
//! - [`migrations`]: the SQL migrations, embedded.
//! - [`tokens`]: signed access tokens, opaque secrets and the bearer header.

#![forbid(unsafe_code)]
#![forbid(clippy::unwrap_used)]
#![deny(clippy::expect_used)]
#![deny(clippy::panic)]

pub mod amqp;
pub mod config;
pub mod cron;
pub mod env;
pub mod error;
pub mod grpc;
pub mod health;
pub mod migrations;
pub mod outbox;
pub mod processor;
pub mod redis;
pub mod shutdown;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;
pub mod tokens;

pub use kanau;
