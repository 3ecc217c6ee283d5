//! Loading the `shield` document, which may legitimately be missing.

use std::net::IpAddr;

use helium_framework::config::{ConfigError, ConfigStore, ModuleConfig};
use helium_framework::error::ServiceError;
use helium_framework::processor::Processor;
use helium_framework::redis::RedisConnection;
use helium_framework::testing::{TestDatabase, redis_url, unique_name};
use helium_shield::config::ShieldConfig;
use helium_shield::services::{AdmitSignInRequest, Shield};

use crate::support::limit;

async fn store(db: &TestDatabase) -> ConfigStore {
    let redis = RedisConnection::with_prefix(&redis_url(), &unique_name("test")).unwrap();
    ConfigStore::new(db.pool.clone(), redis)
}

/// Writes the document straight into the table, the way a hand edit in SQL reaches it:
/// `ConfigStore::save` would refuse an invalid one.
async fn store_by_hand(db: &TestDatabase, document: serde_json::Value) {
    sqlx::query("INSERT INTO public.application__config (key, content) VALUES ($1, $2)")
        .bind(ShieldConfig::KEY)
        .bind(document)
        .execute(&db.pool)
        .await
        .unwrap();
}

#[tokio::test]
async fn load_or_default_uses_the_defaults_while_no_document_is_stored() {
    // Arrange
    let db = TestDatabase::create().await;
    let configs = store(&db).await;

    // Act
    let config = ShieldConfig::load_or_default(&configs).await.unwrap();

    // Assert
    assert_eq!(config, ShieldConfig::defaults());
    db.drop_database().await;
}

#[tokio::test]
async fn load_or_default_returns_the_stored_document() {
    // Arrange
    let db = TestDatabase::create().await;
    let configs = store(&db).await;
    let mut stored = ShieldConfig::defaults();
    stored.sign_in_per_address = limit(100, 600);
    configs.save(&stored).await.unwrap();

    // Act
    let config = ShieldConfig::load_or_default(&configs).await.unwrap();

    // Assert
    assert_eq!(config, stored);
    db.drop_database().await;
}

#[tokio::test]
async fn load_or_default_refuses_a_stored_document_that_is_invalid() {
    // Arrange
    let db = TestDatabase::create().await;
    let configs = store(&db).await;
    let mut document = serde_json::to_value(ShieldConfig::defaults()).unwrap();
    document["sign_in_per_account"]["max"] = serde_json::json!(0);
    store_by_hand(&db, document).await;

    // Act
    let error = ShieldConfig::load_or_default(&configs).await.unwrap_err();

    // Assert
    assert!(matches!(error, ConfigError::Invalid(_)), "{error:?}");
    assert_eq!(
        error.to_string(),
        "sign_in_per_account.max: must be at least 1"
    );
    db.drop_database().await;
}

#[tokio::test]
async fn a_malformed_stored_document_stops_sign_ins_with_an_internal_error() {
    // Arrange
    let db = TestDatabase::create().await;
    let configs = store(&db).await;
    store_by_hand(&db, serde_json::json!({"sign_in_per_account": "lots"})).await;
    let redis = RedisConnection::with_prefix(&redis_url(), &unique_name("test")).unwrap();
    let shield = Shield::new(configs, redis);

    // Act
    let result = shield
        .process(AdmitSignInRequest {
            email: "alice@example.com".to_owned(),
            address: IpAddr::from([192, 0, 2, 1]),
        })
        .await;

    // Assert
    assert!(
        matches!(result, Err(ServiceError::Internal(_))),
        "{result:?}"
    );
    db.drop_database().await;
}
