//! A fresh database and Redis key prefix per test, and readable checks of refusals.

use std::net::IpAddr;

use helium_framework::config::{ConfigStore, ModuleConfig, Seconds};
use helium_framework::error::ServiceError;
use helium_framework::redis::RedisConnection;
use helium_framework::testing::{TestDatabase, redis_url, unique_name};
use helium_shield::config::{RateLimit, ShieldConfig};
use helium_shield::services::Shield;

pub struct Fixture {
    pub db: TestDatabase,
    pub redis: RedisConnection,
    pub shield: Shield,
}

/// A shield whose stored configuration is `config`, with keys under a prefix of its own.
pub async fn fixture(config: ShieldConfig) -> Fixture {
    let db = TestDatabase::create().await;
    let redis = RedisConnection::with_prefix(&redis_url(), &unique_name("test")).unwrap();
    let configs = ConfigStore::new(db.pool.clone(), redis.clone());
    configs.save(&config).await.unwrap();
    let shield = Shield::new(configs, redis.clone());
    Fixture { db, redis, shield }
}

/// The defaults, with every limit high enough to stay out of the way of the one under test.
pub fn generous() -> ShieldConfig {
    let generous = RateLimit {
        max: 1000,
        window: Seconds(60),
    };
    let mut config = ShieldConfig::defaults();
    config.sign_in_per_account = generous;
    config.sign_in_per_address = generous;
    config.email_per_address = generous;
    config.email_per_recipient = generous;
    config.lockout.failures = 1000;
    config
}

pub fn limit(max: u32, window_secs: u64) -> RateLimit {
    RateLimit {
        max,
        window: Seconds(window_secs),
    }
}

pub fn address(text: &str) -> IpAddr {
    text.parse().unwrap()
}

/// The retry-after of a refusal, failing the test on anything else.
pub fn refused(result: Result<(), ServiceError>) -> (String, u64) {
    match result {
        Err(ServiceError::ResourceExhausted {
            message,
            retry_after_secs,
        }) => (message, retry_after_secs),
        other => panic!("expected a ResourceExhausted refusal, got {other:?}"),
    }
}
