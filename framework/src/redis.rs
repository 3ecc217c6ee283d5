//! The pooled Redis connection shared by a process.

use deadpool_redis::{Config, Connection, Pool, PoolConfig, Runtime};

/// Connections a process keeps to Redis at most. deadpool's default is four per CPU, which on a
/// one-CPU pod makes every authenticated call queue for one of four connections; Redis itself
/// is happy with thousands of clients.
const POOL_SIZE: usize = 32;

/// A cheap-to-clone handle on the process's Redis pool.
///
/// The pool connects lazily: a worker starts, and reports itself unready, while Redis is down,
/// instead of crashing into a restart loop.
#[derive(Clone)]
pub struct RedisConnection {
    pool: Pool,
    /// Prepended to every key this handle builds, so tests can share one Redis server.
    key_prefix: String,
}

#[derive(Debug, thiserror::Error)]
pub enum RedisError {
    #[error("cannot reach Redis: {0}")]
    Pool(#[from] deadpool_redis::PoolError),
    #[error("Redis command failed: {0}")]
    Command(#[from] redis::RedisError),
    #[error("invalid Redis URL: {0}")]
    Url(String),
}

impl RedisConnection {
    /// Checks that `url` is a Redis URL, without connecting.
    pub fn validate_url(url: &str) -> Result<(), RedisError> {
        redis::Client::open(url)
            .map(drop)
            .map_err(|error| RedisError::Url(error.to_string()))
    }

    /// Builds the pool for `url` without connecting.
    pub fn new(url: &str) -> Result<Self, RedisError> {
        Self::with_prefix(url, "helium")
    }

    /// Like [`RedisConnection::new`], with keys under `prefix` instead of `helium`.
    pub fn with_prefix(url: &str, prefix: &str) -> Result<Self, RedisError> {
        // Reject a malformed URL here, where the error can name the variable, rather than on
        // the first command.
        Self::validate_url(url)?;
        let mut config = Config::from_url(url);
        config.pool = Some(PoolConfig::new(POOL_SIZE));
        let pool = config
            .create_pool(Some(Runtime::Tokio1))
            .map_err(|error| RedisError::Url(error.to_string()))?;
        Ok(Self {
            pool,
            key_prefix: prefix.to_owned(),
        })
    }

    /// Takes a connection from the pool, connecting if none is idle.
    pub async fn get(&self) -> Result<Connection, RedisError> {
        Ok(self.pool.get().await?)
    }

    /// The namespaced key `<prefix>:<module>:<purpose>:<id>` the design prescribes.
    pub fn key(&self, module: &str, purpose: &str, id: &str) -> String {
        format!("{}:{module}:{purpose}:{id}", self.key_prefix)
    }

    /// Sends `PING`; the readiness probe's Redis check.
    pub async fn ping(&self) -> Result<(), RedisError> {
        let mut connection = self.get().await?;
        redis::cmd("PING")
            .query_async::<String>(&mut connection)
            .await?;
        Ok(())
    }
}
