use std::time::Duration;

use helium_framework::config::{ConfigError, ConfigStore, FieldError, ModuleConfig, Seconds};
use helium_framework::redis::RedisConnection;
use helium_framework::testing::{TestDatabase, redis_url, unique_name};
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SampleConfig {
    limit: u32,
    expire_after: Seconds,
}

impl ModuleConfig for SampleConfig {
    const KEY: &'static str = "sample";
    const DISPLAY_NAME: &'static str = "Sample";

    fn defaults() -> Self {
        Self {
            limit: 5,
            expire_after: Seconds(300),
        }
    }

    fn validate(&self) -> Result<(), FieldError> {
        if self.limit == 0 {
            return Err(FieldError::new("limit", "must be at least 1"));
        }
        Ok(())
    }
}

struct Fixture {
    db: TestDatabase,
    redis: RedisConnection,
    store: ConfigStore,
    cache_key: String,
}

async fn fixture() -> Fixture {
    let db = TestDatabase::create().await;
    let prefix = unique_name("test");
    let redis = RedisConnection::with_prefix(&redis_url(), &prefix).unwrap();
    let store = ConfigStore::new(db.pool.clone(), redis.clone());
    let cache_key = redis.key("config", "module", SampleConfig::KEY);
    Fixture {
        db,
        redis,
        store,
        cache_key,
    }
}

async fn cached(fixture: &Fixture) -> Option<String> {
    fixture
        .redis
        .get()
        .await
        .unwrap()
        .get(&fixture.cache_key)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_saved_configuration_round_trips_through_postgres_and_redis() {
    let fixture = fixture().await;
    let config = SampleConfig {
        limit: 7,
        expire_after: Seconds(60),
    };

    fixture.store.save(&config).await.unwrap();

    assert_eq!(fixture.store.load::<SampleConfig>().await.unwrap(), config);
    let copy: serde_json::Value = serde_json::from_str(&cached(&fixture).await.unwrap()).unwrap();
    assert_eq!(copy, serde_json::json!({"limit": 7, "expire_after": "60"}));
    let stored: serde_json::Value =
        sqlx::query_scalar("SELECT content FROM public.application__config WHERE key = 'sample'")
            .fetch_one(&fixture.db.pool)
            .await
            .unwrap();
    assert_eq!(stored, copy);
    fixture.db.drop_database().await;
}

#[tokio::test]
async fn an_invalid_configuration_is_refused_and_changes_nothing() {
    let fixture = fixture().await;

    let error = fixture
        .store
        .save(&SampleConfig {
            limit: 0,
            expire_after: Seconds(1),
        })
        .await;

    assert!(matches!(error, Err(ConfigError::Invalid(ref field)) if field.field == "limit"));
    assert!(matches!(
        fixture.store.load::<SampleConfig>().await,
        Err(ConfigError::Missing("sample"))
    ));
    assert_eq!(cached(&fixture).await, None);
    fixture.db.drop_database().await;
}

#[tokio::test]
async fn insert_if_missing_keeps_what_is_stored() {
    let fixture = fixture().await;
    let operator_choice = SampleConfig {
        limit: 9,
        expire_after: Seconds(10),
    };
    fixture.store.save(&operator_choice).await.unwrap();

    let inserted = fixture
        .store
        .insert_if_missing(&SampleConfig::defaults())
        .await
        .unwrap();

    assert!(!inserted);
    assert_eq!(
        fixture.store.load::<SampleConfig>().await.unwrap(),
        operator_choice
    );
    fixture.db.drop_database().await;
}

#[tokio::test]
async fn a_load_racing_a_sync_never_keeps_the_old_copy() {
    // Arrange: readers loading as fast as they can, as a busy worker's requests do.
    let fixture = fixture().await;
    fixture.store.save(&SampleConfig::defaults()).await.unwrap();
    let stop = CancellationToken::new();
    let mut readers = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let store = fixture.store.clone();
        let stop = stop.clone();
        readers.spawn(async move {
            while !stop.is_cancelled() {
                store.load::<SampleConfig>().await.unwrap();
                tokio::task::yield_now().await;
            }
        });
    }

    for limit in 6..36 {
        // Act: a hand edit, and the sync a notification would trigger.
        sqlx::query(
            "UPDATE application__config
             SET content = jsonb_set(content, '{limit}', to_jsonb($1::int)) WHERE key = 'sample'",
        )
        .bind(i32::try_from(limit).unwrap())
        .execute(&fixture.db.pool)
        .await
        .unwrap();
        fixture.store.sync_key(SampleConfig::KEY).await.unwrap();

        // Assert: once the sync is done, no reader may have kept the previous value.
        let loaded = fixture.store.load::<SampleConfig>().await.unwrap();
        assert_eq!(loaded.limit, limit);
    }

    stop.cancel();
    readers.join_all().await;
    fixture.db.drop_database().await;
}

#[tokio::test]
async fn a_hand_edit_in_sql_reaches_the_redis_copy() {
    // Arrange
    let fixture = fixture().await;
    fixture.store.save(&SampleConfig::defaults()).await.unwrap();
    let shutdown = CancellationToken::new();
    let watcher = tokio::spawn({
        let store = fixture.store.clone();
        let shutdown = shutdown.clone();
        async move { store.watch(shutdown).await }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Act: the operator follows the documented SQL recipe.
    sqlx::query(
        "INSERT INTO application__config (key, content)
         VALUES ('sample', '{\"limit\": 42, \"expire_after\": \"300\"}')
         ON CONFLICT (key) DO UPDATE SET content = EXCLUDED.content, updated_at = NOW()",
    )
    .execute(&fixture.db.pool)
    .await
    .unwrap();

    // Assert
    let mut refreshed = false;
    for _ in 0..50 {
        if fixture.store.load::<SampleConfig>().await.unwrap().limit == 42 {
            refreshed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        refreshed,
        "the Redis copy was not refreshed after the SQL edit"
    );

    shutdown.cancel();
    watcher.await.unwrap();
    fixture.db.drop_database().await;
}

#[tokio::test]
async fn load_rebuilds_a_lost_redis_copy_from_postgres() {
    let fixture = fixture().await;
    fixture.store.save(&SampleConfig::defaults()).await.unwrap();
    let _: () = fixture
        .redis
        .get()
        .await
        .unwrap()
        .del(&fixture.cache_key)
        .await
        .unwrap();

    let loaded = fixture.store.load::<SampleConfig>().await.unwrap();

    assert_eq!(loaded, SampleConfig::defaults());
    assert!(cached(&fixture).await.is_some());
    fixture.db.drop_database().await;
}

#[tokio::test]
async fn a_broken_stored_document_is_reported_by_field() {
    let fixture = fixture().await;
    sqlx::query(
        "INSERT INTO application__config (key, content)
         VALUES ('sample', '{\"limit\": 1, \"expire_after\": 300}')",
    )
    .execute(&fixture.db.pool)
    .await
    .unwrap();

    let error = fixture
        .store
        .load::<SampleConfig>()
        .await
        .unwrap_err()
        .to_string();

    assert!(error.starts_with("expire_after: invalid type"), "{error}");
    fixture.db.drop_database().await;
}
