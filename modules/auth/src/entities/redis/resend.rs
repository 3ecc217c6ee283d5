//! Resend-interval slots: `helium:auth:resend:<purpose>:<sha256 of the address>`.
//!
//! Kept in Redis for every request, whether or not an email is actually sent, so the answer
//! to a second quick request is the same for addresses with and without an account.

use helium_framework::processor::Processor;
use helium_framework::redis::{RedisConnection, RedisError};
use helium_framework::tokens::secret_hash;
use redis::AsyncCommands;

#[derive(Clone)]
pub struct ResendSlots {
    redis: RedisConnection,
}

impl ResendSlots {
    pub fn new(redis: RedisConnection) -> Self {
        Self { redis }
    }
}

/// Claims the slot of `email` for `purpose` for `interval_secs`. Returns `None` when claimed,
/// or the seconds left on the slot another request holds.
pub struct ClaimResendSlot {
    pub purpose: &'static str,
    pub email: String,
    pub interval_secs: u64,
}

impl Processor<ClaimResendSlot> for ResendSlots {
    type Output = Option<u64>;
    type Error = RedisError;

    async fn process(&self, input: ClaimResendSlot) -> Result<Option<u64>, RedisError> {
        if input.interval_secs == 0 {
            return Ok(None);
        }
        // The address is hashed: Redis holds no customer's email in clear.
        let digest: String = secret_hash(&input.email.trim().to_lowercase())
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        let key = self
            .redis
            .key("auth", "resend", &format!("{}:{digest}", input.purpose));
        let mut redis = self.redis.get().await?;
        let options = redis::SetOptions::default()
            .conditional_set(redis::ExistenceCheck::NX)
            .with_expiration(redis::SetExpiry::EX(input.interval_secs));
        let claimed: Option<String> = redis.set_options(&key, 1, options).await?;
        if claimed.is_some() {
            return Ok(None);
        }
        let remaining: i64 = redis.ttl(&key).await?;
        Ok(Some(u64::try_from(remaining).unwrap_or(1).max(1)))
    }
}
