//! Helpers for integration tests against the real local services.
//!
//! Each test gets its own freshly migrated PostgreSQL database, so tests run in parallel and
//! never see each other's rows. Redis keys and RabbitMQ queues are made unique per test with
//! [`unique_name`].

pub mod oauth;
pub mod probe;
pub mod smtp;

use sqlx::postgres::PgPoolOptions;
use sqlx::{Executor, PgPool};
use uuid::Uuid;

use crate::migrations::MIGRATOR;

/// The server's maintenance database, used to create and drop test databases.
/// `HELIUM_TEST_DATABASE_URL` overrides it.
pub fn admin_database_url() -> String {
    std::env::var("HELIUM_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// `HELIUM_TEST_REDIS_URL`, or the local Redis.
pub fn redis_url() -> String {
    std::env::var("HELIUM_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// `HELIUM_TEST_MQ_URL`, or the local RabbitMQ.
pub fn mq_url() -> String {
    std::env::var("HELIUM_TEST_MQ_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned())
}

/// A name no other test uses, such as `test-outbox-0192...`.
pub fn unique_name(prefix: &str) -> String {
    format!("{prefix}-{}", Uuid::now_v7().simple())
}

/// A migrated database that exists for one test.
pub struct TestDatabase {
    pub name: String,
    pub url: String,
    pub pool: PgPool,
}

impl TestDatabase {
    /// Creates and migrates a new database.
    ///
    /// # Panics
    ///
    /// When PostgreSQL is unreachable: a test cannot do anything useful without it.
    #[allow(clippy::expect_used)]
    pub async fn create() -> Self {
        let admin = PgPoolOptions::new()
            .max_connections(1)
            .connect(&admin_database_url())
            .await
            .expect("PostgreSQL must be running for the integration tests (see scripts/test)");
        let name = format!("helium_test_{}", Uuid::now_v7().simple());
        // The name is generated above from a UUID, never from input.
        let create = sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"));
        admin
            .execute(sqlx::raw_sql(create))
            .await
            .expect("creating the test database");
        admin.close().await;

        let url = database_url_for(&name);
        let pool = PgPoolOptions::new()
            .max_connections(5)
            .connect(&url)
            .await
            .expect("connecting to the test database");
        MIGRATOR
            .run(&pool)
            .await
            .expect("migrating the test database");
        Self { name, url, pool }
    }

    /// Drops the database. Tests call it at the end; a failed test leaves its database behind
    /// for inspection.
    #[allow(clippy::expect_used)]
    pub async fn drop_database(self) {
        self.pool.close().await;
        let admin = PgPoolOptions::new()
            .max_connections(1)
            .connect(&admin_database_url())
            .await
            .expect("reconnecting to drop the test database");
        let drop = sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
        admin
            .execute(sqlx::raw_sql(drop))
            .await
            .expect("dropping the test database");
    }
}

fn database_url_for(name: &str) -> String {
    let admin = admin_database_url();
    match admin.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{name}"),
        None => format!("{admin}/{name}"),
    }
}

/// Deletes a consumer's three queues, so tests leave nothing behind in the shared broker.
#[allow(clippy::expect_used)]
pub async fn delete_queues(amqp: &crate::amqp::AmqpConnection, spec: &crate::amqp::QueueSpec) {
    let channel = amqp
        .channel()
        .await
        .expect("opening a channel to delete test queues");
    for suffix in ["", ".retry", ".dead"] {
        let queue = format!("{}{suffix}", spec.queue);
        channel
            .queue_delete(
                queue.as_str().into(),
                lapin::options::QueueDeleteOptions::default(),
            )
            .await
            .expect("deleting a test queue");
    }
}
