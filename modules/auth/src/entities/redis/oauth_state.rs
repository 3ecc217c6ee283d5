//! Started OAuth flows: `helium:auth:oauth:<sha256 of the state>`.
//!
//! Between sending the customer to the provider and their return, the flow's state, its PKCE
//! verifier and what it is for wait here. The provider echoes the state back, and only the
//! holder of the state can finish the flow, once. Only the state's hash names the key, so
//! reading Redis gives no state that could be completed.

use helium_framework::processor::Processor;
use helium_framework::redis::{RedisConnection, RedisError};
use helium_framework::tokens::secret_hash;
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone)]
pub struct OAuthStates {
    redis: RedisConnection,
}

impl OAuthStates {
    pub fn new(redis: RedisConnection) -> Self {
        Self { redis }
    }

    fn key(&self, state: &str) -> String {
        let digest: String = secret_hash(state)
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        self.redis.key("auth", "oauth", &digest)
    }
}

/// What finishing a flow does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OAuthPurpose {
    /// Sign in (or sign up) whoever the provider vouches for.
    SignIn,
    /// Link the provider account to `user_id`, as asked from session `session_id`.
    Link { user_id: Uuid, session_id: Uuid },
    /// Prove again, from session `session_id`, to be the owner of `user_id`.
    Reverify { user_id: Uuid, session_id: Uuid },
}

/// A started flow. Not `Debug`: it holds the PKCE verifier.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingOAuth {
    /// As the configuration spells it.
    pub provider: String,
    /// The PKCE verifier whose S256 challenge went to the provider.
    pub pkce_verifier: String,
    pub purpose: OAuthPurpose,
}

/// Stores a flow under its state for `ttl_secs`.
pub struct StoreOAuthState {
    pub state: String,
    pub pending: PendingOAuth,
    pub ttl_secs: u64,
}

/// Takes a flow out of Redis (`GETDEL`): `None` if it expired, was used or never was. Of two
/// completions racing with one state, exactly one gets the flow.
pub struct TakeOAuthState {
    pub state: String,
}

#[derive(Debug, thiserror::Error)]
pub enum OAuthStateError {
    #[error(transparent)]
    Redis(#[from] RedisError),
    #[error("stored OAuth state is not readable: {0}")]
    Format(#[from] serde_json::Error),
}

impl From<redis::RedisError> for OAuthStateError {
    fn from(error: redis::RedisError) -> Self {
        Self::Redis(error.into())
    }
}

impl Processor<StoreOAuthState> for OAuthStates {
    type Output = ();
    type Error = OAuthStateError;

    async fn process(&self, input: StoreOAuthState) -> Result<(), OAuthStateError> {
        let value = serde_json::to_string(&input.pending)?;
        let mut redis = self.redis.get().await?;
        let () = redis
            .set_ex(self.key(&input.state), value, input.ttl_secs.max(1))
            .await?;
        Ok(())
    }
}

impl Processor<TakeOAuthState> for OAuthStates {
    type Output = Option<PendingOAuth>;
    type Error = OAuthStateError;

    async fn process(
        &self,
        input: TakeOAuthState,
    ) -> Result<Option<PendingOAuth>, OAuthStateError> {
        let mut redis = self.redis.get().await?;
        let value: Option<String> = redis.get_del(self.key(&input.state)).await?;
        match value {
            Some(value) => Ok(Some(serde_json::from_str(&value)?)),
            None => Ok(None),
        }
    }
}
