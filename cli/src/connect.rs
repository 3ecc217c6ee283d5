//! Connecting to what a command needs, with the messages the operator book lists.

use std::time::Duration;

use anyhow::Context;
use helium_framework::migrations::MIGRATOR;
use helium_framework::redis::RedisConnection;
use sqlx::Connection as _;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions};

/// How long to wait for PostgreSQL or Redis to answer before giving up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The connection settings shared by every command.
pub struct Options {
    pub database_url: Option<String>,
    pub redis_url: Option<String>,
    pub run_migrations: bool,
}

impl Options {
    /// Connects to PostgreSQL and, unless `--skip-migration`, applies pending migrations.
    pub async fn database(&self) -> anyhow::Result<PgPool> {
        let url = self
            .database_url
            .as_deref()
            .filter(|url| !url.is_empty())
            .context("DATABASE_URL must be provided (set the variable or pass --database-url)")?;
        // One direct connection first: a pool reports a refused connection only as a timeout,
        // while the operator needs the reason (refused, unknown database, bad password).
        let options: PgConnectOptions = url.parse().context("DATABASE_URL is not a valid URL")?;
        let probe = tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&options))
            .await
            .context("Failed to connect to database: no answer within 5 seconds")?
            .map_err(|error| anyhow::anyhow!("Failed to connect to database: {error}"))?;
        probe
            .close()
            .await
            .context("Failed to connect to database")?;

        let pool = PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(CONNECT_TIMEOUT)
            .connect_lazy_with(options);
        if self.run_migrations {
            MIGRATOR
                .run(&pool)
                .await
                .context("Failed to apply database migrations")?;
            tracing::debug!("database migrations are up to date");
        }
        Ok(pool)
    }

    /// Connects to Redis and checks that it answers.
    pub async fn redis(&self) -> anyhow::Result<RedisConnection> {
        let url = self
            .redis_url
            .as_deref()
            .filter(|url| !url.is_empty())
            .context("REDIS_URL must be provided (set the variable or pass --redis-url)")?;
        let redis = RedisConnection::new(url).context("Failed to connect to Redis")?;
        tokio::time::timeout(CONNECT_TIMEOUT, redis.ping())
            .await
            .context("Failed to connect to Redis: no answer within 5 seconds")?
            .context("Failed to connect to Redis")?;
        Ok(redis)
    }
}
