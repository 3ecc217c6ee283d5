//! Re-verification grants: `helium:auth:reverification:<sha256 of the token>`.
//!
//! A customer who proved again who they are gets a short-lived token for one sensitive change.
//! The grant names the account and the session that proved it, so a token copied out of one
//! browser is worthless in another. Only the token's hash names the key.

use helium_framework::processor::Processor;
use helium_framework::redis::{RedisConnection, RedisError};
use helium_framework::tokens::secret_hash;
use redis::AsyncCommands;
use uuid::Uuid;

#[derive(Clone)]
pub struct Reverifications {
    redis: RedisConnection,
}

impl Reverifications {
    pub fn new(redis: RedisConnection) -> Self {
        Self { redis }
    }

    fn key(&self, token: &str) -> String {
        let digest: String = secret_hash(token)
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        self.redis.key("auth", "reverification", &digest)
    }
}

/// Who a grant was given to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grant {
    pub user_id: Uuid,
    pub session_id: Uuid,
}

/// Stores a grant for `ttl_secs`.
pub struct StoreGrant {
    pub token: String,
    pub grant: Grant,
    pub ttl_secs: u64,
}

/// Takes a grant out of Redis: `None` if it expired, was used or never was. Of two changes
/// racing with one token, exactly one gets the grant.
pub struct TakeGrant {
    pub token: String,
}

impl Processor<StoreGrant> for Reverifications {
    type Output = ();
    type Error = RedisError;

    async fn process(&self, input: StoreGrant) -> Result<(), RedisError> {
        let value = format!("{} {}", input.grant.user_id, input.grant.session_id);
        let mut redis = self.redis.get().await?;
        let () = redis
            .set_ex(self.key(&input.token), value, input.ttl_secs.max(1))
            .await?;
        Ok(())
    }
}

impl Processor<TakeGrant> for Reverifications {
    type Output = Option<Grant>;
    type Error = RedisError;

    async fn process(&self, input: TakeGrant) -> Result<Option<Grant>, RedisError> {
        let mut redis = self.redis.get().await?;
        let value: Option<String> = redis.get_del(self.key(&input.token)).await?;
        Ok(value.as_deref().and_then(parse_grant))
    }
}

/// Reads a stored grant; anything malformed counts as no grant.
fn parse_grant(value: &str) -> Option<Grant> {
    let (user_id, session_id) = value.split_once(' ')?;
    Some(Grant {
        user_id: user_id.parse().ok()?,
        session_id: session_id.parse().ok()?,
    })
}
