//! Integration tests of the framework against the real PostgreSQL, Redis and RabbitMQ.
//! One binary, one module per feature.

mod config_store;
mod consumer;
mod cron;
mod outbox;
mod support;
