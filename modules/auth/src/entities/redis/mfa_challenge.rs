//! MFA sign-in challenges: `helium:auth:mfa_challenge:<sha256 of the challenge>`.
//!
//! A password sign-in to an account with MFA ends here instead of in a session: the
//! challenge remembers who signed in, from which device and address, until the second
//! factor arrives or the key expires. Only the challenge's hash names the key, so reading
//! Redis gives no challenge that could be completed.

use std::collections::HashMap;

use helium_framework::processor::Processor;
use helium_framework::redis::{RedisConnection, RedisError};
use helium_framework::tokens::secret_hash;
use redis::AsyncCommands;
use uuid::Uuid;

#[derive(Clone)]
pub struct MfaChallenges {
    redis: RedisConnection,
}

impl MfaChallenges {
    pub fn new(redis: RedisConnection) -> Self {
        Self { redis }
    }

    fn key(&self, challenge: &str) -> String {
        let digest: String = secret_hash(challenge)
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        self.redis.key("auth", "mfa_challenge", &digest)
    }
}

/// Who a challenge lets in once the second factor is given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingSignIn {
    pub user_id: Uuid,
    /// The address signed in with, which the shield counts failures against.
    pub email: String,
    pub device: String,
    pub ip_address: String,
}

/// Stores a challenge for `ttl_secs`.
pub struct StoreChallenge {
    pub challenge: String,
    pub pending: PendingSignIn,
    pub ttl_secs: u64,
}

/// The sign-in a live challenge stands for, or `None` if it expired, was used or never was.
pub struct FindChallenge {
    pub challenge: String,
}

/// Ends a challenge. Returns whether it was still live: of two completions racing with one
/// challenge, exactly one takes it.
pub struct TakeChallenge {
    pub challenge: String,
}

impl Processor<StoreChallenge> for MfaChallenges {
    type Output = ();
    type Error = RedisError;

    async fn process(&self, input: StoreChallenge) -> Result<(), RedisError> {
        let key = self.key(&input.challenge);
        let fields = [
            ("user_id", input.pending.user_id.to_string()),
            ("email", input.pending.email),
            ("device", input.pending.device),
            ("ip_address", input.pending.ip_address),
        ];
        // One transaction, so no challenge ever lives without its expiry.
        let mut redis = self.redis.get().await?;
        let () = redis::pipe()
            .atomic()
            .hset_multiple(&key, &fields)
            .ignore()
            .expire(
                &key,
                i64::try_from(input.ttl_secs.max(1)).unwrap_or(i64::MAX),
            )
            .ignore()
            .query_async(&mut redis)
            .await?;
        Ok(())
    }
}

impl Processor<FindChallenge> for MfaChallenges {
    type Output = Option<PendingSignIn>;
    type Error = RedisError;

    async fn process(&self, input: FindChallenge) -> Result<Option<PendingSignIn>, RedisError> {
        let mut redis = self.redis.get().await?;
        let mut fields: HashMap<String, String> = redis.hgetall(self.key(&input.challenge)).await?;
        let user_id = fields.get("user_id").and_then(|id| id.parse().ok());
        let (Some(user_id), Some(email), Some(device), Some(ip_address)) = (
            user_id,
            fields.remove("email"),
            fields.remove("device"),
            fields.remove("ip_address"),
        ) else {
            return Ok(None);
        };
        Ok(Some(PendingSignIn {
            user_id,
            email,
            device,
            ip_address,
        }))
    }
}

impl Processor<TakeChallenge> for MfaChallenges {
    type Output = bool;
    type Error = RedisError;

    async fn process(&self, input: TakeChallenge) -> Result<bool, RedisError> {
        let mut redis = self.redis.get().await?;
        let removed: u64 = redis.del(self.key(&input.challenge)).await?;
        Ok(removed == 1)
    }
}
