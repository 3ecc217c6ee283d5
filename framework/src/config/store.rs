//! Where configuration documents live: PostgreSQL, with a copy in Redis.

use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redis::AsyncCommands;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio_util::sync::CancellationToken;

use super::{ConfigError, ModuleConfig, parse};
use crate::redis::RedisConnection;

/// The PostgreSQL channel the `application__config` trigger notifies with the changed key.
const CHANGE_CHANNEL: &str = "application_config_changed";

/// The longest a parsed document is served from memory without looking at Redis again: a
/// safety net for a watcher that lost notifications without noticing.
const MEMORY_MAX_AGE: Duration = Duration::from_secs(30);

/// Parsed documents kept in the process, so hot paths (every authenticated call reads the
/// `auth` document) pay neither a Redis round trip nor JSON parsing and validation.
#[derive(Default)]
struct MemoryCache {
    /// Bumped by every change this process learns of; entries of an older generation are
    /// stale.
    generation: AtomicU64,
    entries: Mutex<HashMap<&'static str, CachedDocument>>,
}

struct CachedDocument {
    generation: u64,
    loaded_at: Instant,
    config: Arc<dyn Any + Send + Sync>,
}

impl MemoryCache {
    fn get<C: ModuleConfig>(&self) -> Option<C> {
        let generation = self.generation.load(Ordering::Acquire);
        let entries = self.entries.lock().ok()?;
        let cached = entries.get(C::KEY)?;
        let fresh = cached.generation == generation && cached.loaded_at.elapsed() < MEMORY_MAX_AGE;
        if !fresh {
            return None;
        }
        cached.config.downcast_ref::<C>().cloned()
    }

    fn put<C: ModuleConfig>(&self, generation: u64, config: &C) {
        if let Ok(mut entries) = self.entries.lock() {
            let config = Arc::new(config.clone());
            entries.insert(
                C::KEY,
                CachedDocument {
                    generation,
                    loaded_at: Instant::now(),
                    config,
                },
            );
        }
    }

    fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}

/// Reads and writes module configuration.
///
/// PostgreSQL is the record; Redis holds a copy of each document so that hot paths do not
/// query the database. The copy carries no TTL because [`ConfigStore::watch`] rewrites it on
/// every change and the `config.resync` cron job rewrites all of it periodically.
#[derive(Clone)]
pub struct ConfigStore {
    db: PgPool,
    redis: RedisConnection,
    memory: Arc<MemoryCache>,
}

impl ConfigStore {
    pub fn new(db: PgPool, redis: RedisConnection) -> Self {
        Self {
            db,
            redis,
            memory: Arc::default(),
        }
    }

    fn cache_key(&self, key: &str) -> String {
        self.redis.key("config", "module", key)
    }

    /// Loads a module's configuration, from Redis when cached, else from PostgreSQL (and then
    /// caches it). The document is validated either way.
    ///
    /// Parsed documents are also kept in memory; any change this process hears of (its own
    /// writes, the change notifications) drops them, and none is older than 30 seconds.
    pub async fn load<C: ModuleConfig>(&self) -> Result<C, ConfigError> {
        if let Some(config) = self.memory.get::<C>() {
            return Ok(config);
        }
        // Read the generation before loading: a change that lands meanwhile leaves the entry
        // already stale.
        let generation = self.memory.generation.load(Ordering::Acquire);
        let config = self.load_shared::<C>().await?;
        self.memory.put(generation, &config);
        Ok(config)
    }

    async fn load_shared<C: ModuleConfig>(&self) -> Result<C, ConfigError> {
        let mut redis = self.redis.get().await?;
        let cached: Option<String> = redis
            .get(self.cache_key(C::KEY))
            .await
            .map_err(crate::redis::RedisError::from)?;
        if let Some(json) = cached {
            return parse(&json);
        }

        let stored = self
            .stored_json(C::KEY)
            .await?
            .ok_or(ConfigError::Missing(C::KEY))?;
        let config = parse(&stored)?;
        // Only if still missing: a copy written meanwhile by a sync is at least as new.
        let only_if_missing =
            redis::SetOptions::default().conditional_set(redis::ExistenceCheck::NX);
        let _: Option<String> = redis
            .set_options(self.cache_key(C::KEY), stored, only_if_missing)
            .await
            .map_err(crate::redis::RedisError::from)?;
        Ok(config)
    }

    /// Validates and stores `config`, replacing any stored document, then refreshes Redis.
    pub async fn save<C: ModuleConfig>(&self, config: &C) -> Result<(), ConfigError> {
        config.validate()?;
        let content = serde_json::to_value(config)
            .map_err(|error| ConfigError::Malformed(error.to_string()))?;
        sqlx::query!(
            "INSERT INTO public.application__config (key, content) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET content = EXCLUDED.content, updated_at = now()",
            C::KEY,
            content,
        )
        .execute(&self.db)
        .await?;
        self.sync_key(C::KEY).await
    }

    /// Stores `config` only if the module has no document yet. Returns whether it was stored.
    /// Either way the Redis copy is refreshed from what is stored.
    pub async fn insert_if_missing<C: ModuleConfig>(
        &self,
        config: &C,
    ) -> Result<bool, ConfigError> {
        config.validate()?;
        let content = serde_json::to_value(config)
            .map_err(|error| ConfigError::Malformed(error.to_string()))?;
        let inserted = sqlx::query!(
            "INSERT INTO public.application__config (key, content) VALUES ($1, $2)
             ON CONFLICT (key) DO NOTHING",
            C::KEY,
            content,
        )
        .execute(&self.db)
        .await?
        .rows_affected()
            == 1;
        self.sync_key(C::KEY).await?;
        Ok(inserted)
    }

    async fn stored_json(&self, key: &str) -> Result<Option<String>, sqlx::Error> {
        let row = sqlx::query_scalar!(
            "SELECT content::text FROM public.application__config WHERE key = $1",
            key,
        )
        .fetch_optional(&self.db)
        .await?;
        Ok(row.flatten())
    }

    /// Copies one stored document to Redis, or removes the copy if the document is gone.
    pub async fn sync_key(&self, key: &str) -> Result<(), ConfigError> {
        let stored = self.stored_json(key).await?;
        let mut redis = self.redis.get().await?;
        let cache_key = self.cache_key(key);
        let result: Result<(), redis::RedisError> = match stored {
            Some(json) => redis.set(cache_key, json).await,
            None => redis.del(cache_key).await,
        };
        result.map_err(crate::redis::RedisError::from)?;
        // Only now: a load that ran while the copy was being replaced read the old one, and
        // must not keep it. Invalidating first would let it keep it for `MEMORY_MAX_AGE`.
        self.memory.invalidate();
        Ok(())
    }

    /// Copies every stored document to Redis. Returns how many were copied.
    pub async fn sync_all(&self) -> Result<usize, ConfigError> {
        self.memory.invalidate();
        let keys = sqlx::query_scalar!("SELECT key FROM public.application__config")
            .fetch_all(&self.db)
            .await?;
        for key in &keys {
            self.sync_key(key).await?;
        }
        Ok(keys.len())
    }

    /// Keeps the Redis copy in step with PostgreSQL until `shutdown` fires.
    ///
    /// Listens for the trigger's notifications; after losing the listener it resynchronises
    /// everything, since notifications sent meanwhile were lost.
    pub async fn watch(&self, shutdown: CancellationToken) {
        while !shutdown.is_cancelled() {
            if let Err(error) = self.listen_for_changes(&shutdown).await {
                tracing::warn!(%error, "configuration watcher lost its connection; retrying");
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                }
            }
        }
    }

    async fn listen_for_changes(&self, shutdown: &CancellationToken) -> Result<(), ConfigError> {
        let mut listener = PgListener::connect_with(&self.db).await?;
        listener.listen(CHANGE_CHANNEL).await?;
        // Anything changed before the LISTEN took effect is caught by this full pass.
        self.sync_all().await?;

        loop {
            let notification = tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                notification = listener.recv() => notification?,
            };
            let key = notification.payload();
            self.sync_key(key).await?;
            tracing::info!(key, "module configuration changed; cache refreshed");
        }
    }
}
