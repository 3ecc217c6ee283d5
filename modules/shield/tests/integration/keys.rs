//! What shield leaves in Redis: namespaced, hashed, expiring keys.

use std::collections::BTreeSet;
use std::time::Duration;

use helium_framework::processor::Processor;
use helium_framework::redis::RedisConnection;
use helium_framework::testing::{redis_url, unique_name};
use helium_shield::entities::redis::Subject;
use helium_shield::entities::redis::counter::{Admission, CountEvent, Counter, CounterKind};
use helium_shield::services::{AdmitEmailRequest, AdmitSignInRequest, RecordFailedSignInRequest};
use redis::AsyncCommands;

use crate::support::{address, fixture, generous};

/// Every shield key under the connection's prefix.
async fn shield_keys(redis: &RedisConnection) -> Vec<String> {
    let mut connection = redis.get().await.unwrap();
    let pattern = redis.key("shield", "*", "*");
    let mut keys: Vec<String> = Vec::new();
    let mut cursor: u64 = 0;
    loop {
        let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(&pattern)
            .query_async(&mut connection)
            .await
            .unwrap();
        keys.extend(batch);
        if next == 0 {
            return keys;
        }
        cursor = next;
    }
}

#[tokio::test]
async fn redis_holds_neither_emails_nor_addresses_in_clear_and_every_key_expires() {
    // Arrange
    let mut config = generous();
    config.lockout.failures = 1;
    let fixture = fixture(config).await;
    let shield = &fixture.shield;

    // Act: one of everything, the failure setting a lock.
    shield
        .process(AdmitSignInRequest {
            email: "alice@example.com".to_owned(),
            address: address("192.0.2.77"),
        })
        .await
        .unwrap();
    shield
        .process(AdmitEmailRequest {
            address: address("192.0.2.77"),
            recipient: "carol@example.com".to_owned(),
        })
        .await
        .unwrap();
    shield
        .process(RecordFailedSignInRequest {
            email: "alice@example.com".to_owned(),
        })
        .await
        .unwrap();

    // Assert
    let keys = shield_keys(&fixture.redis).await;
    let purposes: BTreeSet<&str> = keys
        .iter()
        .map(|key| key.split(':').nth(2).unwrap())
        .collect();
    assert_eq!(
        purposes,
        BTreeSet::from([
            "email_per_address",
            "email_per_recipient",
            "sign_in_lock",
            "sign_in_per_account",
            "sign_in_per_address",
        ])
    );
    let mut connection = fixture.redis.get().await.unwrap();
    for key in &keys {
        for clear in ["alice", "carol", "example", "192.0.2.77"] {
            assert!(!key.contains(clear), "{key} shows {clear}");
        }
        let subject = key.rsplit(':').next().unwrap();
        assert_eq!(subject.len(), 64, "{key}");
        let ttl: i64 = connection.pttl(key).await.unwrap();
        assert!(ttl > 0, "{key} has no expiry ({ttl})");
    }
    fixture.db.drop_database().await;
}

#[tokio::test]
async fn a_full_counter_that_lost_its_expiry_is_given_its_window_back() {
    // Arrange: a counter at its limit with no TTL, as a manual edit might leave it.
    let redis = RedisConnection::with_prefix(&redis_url(), &unique_name("test")).unwrap();
    let subject = Subject::email("alice@example.com");
    let key = redis.key("shield", "sign_in_per_account", subject.as_str());
    let mut connection = redis.get().await.unwrap();
    let _: () = connection.set(&key, 5).await.unwrap();
    let event = CountEvent {
        lock: None,
        counters: vec![Counter {
            kind: CounterKind::SignInPerAccount,
            subject,
            max: 5,
            window: Duration::from_secs(60),
        }],
    };

    // Act
    let admission = redis.process(event).await.unwrap();

    // Assert
    assert_eq!(
        admission,
        Admission::Full {
            kind: CounterKind::SignInPerAccount,
            remaining: Duration::from_secs(60),
        }
    );
    let ttl: i64 = connection.pttl(&key).await.unwrap();
    assert!((59_000..=60_000).contains(&ttl), "{ttl}");
    let _: () = connection.del(&key).await.unwrap();
}
