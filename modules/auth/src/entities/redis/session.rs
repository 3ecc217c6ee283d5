//! Live-session markers: `helium:auth:session:<id>`.
//!
//! Access tokens are stateless JWTs, so revoking a session must also stop its access token
//! before the token expires. Each live session has a marker in Redis, set when it starts and
//! deleted when it is revoked; every authenticated call checks the marker, one `EXISTS`.
//! The marker expires with the session, so Redis never holds stale sessions.

use helium_framework::processor::Processor;
use helium_framework::redis::{RedisConnection, RedisError};
use redis::AsyncCommands;
use uuid::Uuid;

/// The Redis side of sessions.
#[derive(Clone)]
pub struct SessionMarkers {
    redis: RedisConnection,
}

impl SessionMarkers {
    pub fn new(redis: RedisConnection) -> Self {
        Self { redis }
    }

    fn key(&self, session_id: Uuid) -> String {
        self.redis.key("auth", "session", &session_id.to_string())
    }
}

/// Marks a session live for `ttl_secs`.
pub struct MarkSessionLive {
    pub session_id: Uuid,
    pub ttl_secs: u64,
}

/// Whether a session is live.
pub struct IsSessionLive {
    pub session_id: Uuid,
}

/// Removes the markers of revoked sessions.
pub struct ForgetSessions {
    pub session_ids: Vec<Uuid>,
}

impl Processor<MarkSessionLive> for SessionMarkers {
    type Output = ();
    type Error = RedisError;

    async fn process(&self, input: MarkSessionLive) -> Result<(), RedisError> {
        let mut redis = self.redis.get().await?;
        let () = redis
            .set_ex(self.key(input.session_id), 1, input.ttl_secs.max(1))
            .await?;
        Ok(())
    }
}

impl Processor<IsSessionLive> for SessionMarkers {
    type Output = bool;
    type Error = RedisError;

    async fn process(&self, input: IsSessionLive) -> Result<bool, RedisError> {
        let mut redis = self.redis.get().await?;
        Ok(redis.exists(self.key(input.session_id)).await?)
    }
}

impl Processor<ForgetSessions> for SessionMarkers {
    type Output = ();
    type Error = RedisError;

    async fn process(&self, input: ForgetSessions) -> Result<(), RedisError> {
        if input.session_ids.is_empty() {
            return Ok(());
        }
        let keys: Vec<String> = input.session_ids.iter().map(|id| self.key(*id)).collect();
        let mut redis = self.redis.get().await?;
        let () = redis.del(keys).await?;
        Ok(())
    }
}
