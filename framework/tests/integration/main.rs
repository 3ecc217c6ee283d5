//! Integration tests of the framework against the real PostgreSQL, Redis and RabbitMQ.
//! One binary, one module per feature.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod config_store;
mod consumer;
mod cron;
mod migrations;
mod outbox;
mod support;
