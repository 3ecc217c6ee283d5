//! Sessions: starting, refreshing with rotation, authenticating, listing and revoking.
//!
//! A session has a short-lived JWT access token and an opaque refresh token
//! `<session id>.<secret>`. Refreshing replaces the secret; presenting a secret that is no
//! longer current means the token was copied, so the whole session is revoked (the thief and
//! the owner both have to sign in again, and only the owner can).

use chrono::{DateTime, Duration, Utc};
use helium_framework::config::ConfigStore;
use helium_framework::error::ServiceError;
use helium_framework::processor::{DatabaseProcessor, Processor};
use helium_framework::tokens::{JwtCodec, random_secret, secret_hash};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::cache::AuthCache;
use crate::config::AuthConfig;
use crate::entities::db::session::{
    FindSession, InsertSession, IsSessionActive, ListActiveSessions,
    RevokeOtherSessions as RevokeOtherRows, RevokeSessionRow, RevokeSessionsBeyond,
    RevokeUserSessions, RotateRefreshToken, SessionRow,
};
use crate::entities::db::user_account::FindUserById;
use crate::entities::redis::session::{
    ForgetSessions, IsSessionLive, MarkSessionLive, SessionMarkers,
};

/// The claims of a customer access token.
#[derive(Debug, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    /// The account id.
    pub sub: Uuid,
    /// The session id, checked against Redis on every call.
    pub sid: Uuid,
    pub iat: i64,
    pub exp: i64,
}

/// Tokens handed to a signed-in client. Not `Debug`, so they cannot reach a log line.
#[derive(Clone)]
pub struct IssuedSession {
    pub session_id: Uuid,
    pub access_token: String,
    pub access_expires_at: DateTime<Utc>,
    pub refresh_token: String,
    pub refresh_expires_at: DateTime<Utc>,
}

/// The caller behind a valid access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub user_id: Uuid,
    pub session_id: Uuid,
}

/// The most sessions one account keeps active. Starting one more ends the least recently used,
/// so every session an account has shows in `ListSessions`, and a script that signs in again
/// and again cannot pile up rows without bound.
pub const MAX_ACTIVE_SESSIONS: i64 = 100;

pub struct StartSession {
    pub user_id: Uuid,
    pub device: String,
    pub ip_address: String,
}

pub struct RefreshSession {
    pub refresh_token: String,
    pub ip_address: String,
}

pub struct Authenticate {
    pub access_token: String,
}

pub struct ListSessions {
    pub caller: Caller,
}

pub struct RevokeSession {
    pub caller: Caller,
    pub session_id: Uuid,
}

/// Revokes every session of an account, access tokens included (password reset, ban).
pub struct RevokeAllSessions {
    pub user_id: Uuid,
}

/// Revokes every session of an account but the caller's own, access tokens included: after a
/// password change, whoever knew the old password is signed out, and the customer is not.
pub struct RevokeOtherSessions {
    pub caller: Caller,
}

#[derive(Clone)]
pub struct SessionService {
    db: DatabaseProcessor,
    markers: SessionMarkers,
    configs: ConfigStore,
    cache: AuthCache,
}

impl SessionService {
    pub fn new(
        db: DatabaseProcessor,
        markers: SessionMarkers,
        configs: ConfigStore,
        cache: AuthCache,
    ) -> Self {
        Self {
            db,
            markers,
            configs,
            cache,
        }
    }

    /// The worker's memory of sessions and profiles, for services that change an account.
    pub(crate) fn cache(&self) -> &AuthCache {
        &self.cache
    }

    async fn config(&self) -> Result<AuthConfig, ServiceError> {
        self.configs.load().await.map_err(ServiceError::internal)
    }

    /// Signs a new access token for an existing session.
    fn access_token(
        config: &AuthConfig,
        user_id: Uuid,
        session_id: Uuid,
    ) -> Result<(String, DateTime<Utc>), ServiceError> {
        let codec = JwtCodec::new(config.jwt.secret.expose(), &config.jwt.issuer)?;
        let now = Utc::now();
        let expires_at = now + seconds(config.jwt.access_token_expiration.0);
        let claims = AccessClaims {
            iss: config.jwt.issuer.clone(),
            aud: config.jwt.access_audience.clone(),
            sub: user_id,
            sid: session_id,
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
        };
        Ok((codec.issue(&claims)?, expires_at))
    }

    async fn forget(&self, session_ids: Vec<Uuid>) -> Result<(), ServiceError> {
        self.cache.forget_sessions(&session_ids);
        self.markers
            .process(ForgetSessions { session_ids })
            .await
            .map_err(ServiceError::internal)
    }
}

impl Processor<StartSession> for SessionService {
    type Output = IssuedSession;
    type Error = ServiceError;

    async fn process(&self, input: StartSession) -> Result<IssuedSession, ServiceError> {
        let config = self.config().await?;
        let secret = random_secret();
        let refresh_lifetime = config.jwt.refresh_token_expiration.0;
        let row = self
            .db
            .process(InsertSession {
                id: Uuid::now_v7(),
                user_id: input.user_id,
                refresh_token_hash: secret_hash(&secret),
                device: input.device,
                ip_address: input.ip_address,
                expires_at: Utc::now() + seconds(refresh_lifetime),
            })
            .await?;
        let live = MarkSessionLive {
            session_id: row.id,
            ttl_secs: refresh_lifetime,
        };
        self.markers
            .process(live)
            .await
            .map_err(ServiceError::internal)?;

        let beyond = RevokeSessionsBeyond {
            user_id: row.user_id,
            keep: MAX_ACTIVE_SESSIONS,
        };
        let ended = self.db.process(beyond).await?;
        if !ended.is_empty() {
            tracing::info!(user_id = %row.user_id, ended = ended.len(), "oldest sessions ended");
            self.forget(ended).await?;
        }

        let (access_token, access_expires_at) = Self::access_token(&config, row.user_id, row.id)?;
        Ok(IssuedSession {
            session_id: row.id,
            access_token,
            access_expires_at,
            refresh_token: format!("{}.{secret}", row.id),
            refresh_expires_at: row.expires_at,
        })
    }
}

impl Processor<RefreshSession> for SessionService {
    type Output = IssuedSession;
    type Error = ServiceError;

    async fn process(&self, input: RefreshSession) -> Result<IssuedSession, ServiceError> {
        let refused = || ServiceError::Unauthenticated("the refresh token is not valid".into());
        let (session_id, secret) = input.refresh_token.split_once('.').ok_or_else(refused)?;
        let session_id: Uuid = session_id.parse().map_err(|_| refused())?;
        let session = self
            .db
            .process(FindSession { id: session_id })
            .await?
            .ok_or_else(refused)?;
        if session.revoked_at.is_some() || session.expires_at <= Utc::now() {
            return Err(ServiceError::Unauthenticated(
                "the session has been ended; sign in again".into(),
            ));
        }

        let presented = secret_hash(secret);
        let new_secret = random_secret();
        let rotated = presented == session.refresh_token_hash
            && self
                .db
                .process(RotateRefreshToken {
                    id: session.id,
                    expected_hash: presented,
                    new_hash: secret_hash(&new_secret),
                    ip_address: input.ip_address,
                })
                .await?;
        if !rotated {
            return Err(self.revoke_for_reuse(&session).await);
        }
        self.refuse_banned(&session).await?;

        // Re-mark the session live: this heals a Redis that lost its data, which would
        // otherwise refuse every access token of a session that can still be refreshed.
        let remaining = (session.expires_at - Utc::now()).num_seconds();
        let live = MarkSessionLive {
            session_id: session.id,
            ttl_secs: u64::try_from(remaining).unwrap_or(1),
        };
        self.markers
            .process(live)
            .await
            .map_err(ServiceError::internal)?;

        let config = self.config().await?;
        let (access_token, access_expires_at) =
            Self::access_token(&config, session.user_id, session.id)?;
        Ok(IssuedSession {
            session_id: session.id,
            access_token,
            access_expires_at,
            refresh_token: format!("{}.{new_secret}", session.id),
            refresh_expires_at: session.expires_at,
        })
    }
}

impl SessionService {
    /// A suspended account keeps no session alive, even one started before the ban.
    async fn refuse_banned(&self, session: &SessionRow) -> Result<(), ServiceError> {
        let account = self
            .db
            .process(FindUserById {
                id: session.user_id,
            })
            .await?;
        if account.is_some_and(|account| account.banned_at.is_none()) {
            return Ok(());
        }
        self.process(RevokeAllSessions {
            user_id: session.user_id,
        })
        .await?;
        Err(ServiceError::PermissionDenied(
            "this account is suspended; contact support".into(),
        ))
    }

    /// A refresh token that is not the session's current one was used: someone holds a copy.
    async fn revoke_for_reuse(&self, session: &SessionRow) -> ServiceError {
        tracing::warn!(session_id = %session.id, "refresh token reused; session revoked");
        let revoke = RevokeSessionRow {
            id: session.id,
            user_id: session.user_id,
        };
        if let Err(error) = self.db.process(revoke).await {
            return ServiceError::from(error);
        }
        if let Err(error) = self.forget(vec![session.id]).await {
            return error;
        }
        ServiceError::Unauthenticated(
            "this refresh token was already used, so the session has been ended for safety; \
             sign in again"
                .into(),
        )
    }
}

impl Processor<Authenticate> for SessionService {
    type Output = Caller;
    type Error = ServiceError;

    async fn process(&self, input: Authenticate) -> Result<Caller, ServiceError> {
        let config = self.config().await?;
        let codec = JwtCodec::new(config.jwt.secret.expose(), &config.jwt.issuer)?;
        let claims: AccessClaims =
            codec.verify(&input.access_token, &config.jwt.access_audience)?;
        if !self.is_live(claims.sid).await? {
            return Err(ServiceError::Unauthenticated(
                "the session has been ended; sign in again".into(),
            ));
        }
        Ok(Caller {
            user_id: claims.sub,
            session_id: claims.sid,
        })
    }
}

impl SessionService {
    /// Whether a session has not ended: from memory when the worker remembers it, else from
    /// PostgreSQL while the cache listener runs (the database is what notifies the cache, so
    /// the two cannot disagree), else from the Redis marker.
    async fn is_live(&self, session_id: Uuid) -> Result<bool, ServiceError> {
        if self.cache.is_session_live(session_id) {
            return Ok(true);
        }
        let ticket = self.cache.generation();
        let live = if ticket.is_current() {
            self.db.process(IsSessionActive { id: session_id }).await?
        } else {
            self.markers
                .process(IsSessionLive { session_id })
                .await
                .map_err(ServiceError::internal)?
        };
        if live {
            self.cache.remember_live_session(session_id, ticket);
        }
        Ok(live)
    }
}

impl Processor<ListSessions> for SessionService {
    type Output = Vec<SessionRow>;
    type Error = ServiceError;

    async fn process(&self, input: ListSessions) -> Result<Vec<SessionRow>, ServiceError> {
        Ok(self
            .db
            .process(ListActiveSessions {
                user_id: input.caller.user_id,
            })
            .await?)
    }
}

impl Processor<RevokeSession> for SessionService {
    type Output = ();
    type Error = ServiceError;

    async fn process(&self, input: RevokeSession) -> Result<(), ServiceError> {
        // Another customer's session id is reported exactly like an unknown one.
        let revoke = RevokeSessionRow {
            id: input.session_id,
            user_id: input.caller.user_id,
        };
        if !self.db.process(revoke).await? {
            return Err(ServiceError::NotFound(format!(
                "no active session {} on this account",
                input.session_id
            )));
        }
        self.forget(vec![input.session_id]).await
    }
}

impl Processor<RevokeAllSessions> for SessionService {
    type Output = usize;
    type Error = ServiceError;

    async fn process(&self, input: RevokeAllSessions) -> Result<usize, ServiceError> {
        let revoked = self
            .db
            .process(RevokeUserSessions {
                user_id: input.user_id,
            })
            .await?;
        let count = revoked.len();
        self.forget(revoked).await?;
        Ok(count)
    }
}

impl Processor<RevokeOtherSessions> for SessionService {
    type Output = usize;
    type Error = ServiceError;

    async fn process(&self, input: RevokeOtherSessions) -> Result<usize, ServiceError> {
        let revoked = self
            .db
            .process(RevokeOtherRows {
                user_id: input.caller.user_id,
                keep: input.caller.session_id,
            })
            .await?;
        let count = revoked.len();
        self.forget(revoked).await?;
        Ok(count)
    }
}

/// A configured number of seconds as a duration, capped at a century so that adding it to
/// the current time can never overflow.
pub(crate) fn seconds(value: u64) -> Duration {
    const CENTURY: i64 = 100 * 365 * 24 * 3600;
    let capped = i64::try_from(value).unwrap_or(CENTURY).min(CENTURY);
    Duration::try_seconds(capped).unwrap_or_default()
}
