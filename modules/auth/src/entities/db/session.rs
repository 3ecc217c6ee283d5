//! `auth.session`: one row per signed-in device.

use chrono::{DateTime, Utc};
use helium_framework::processor::{DatabaseProcessor, Processor};
use uuid::Uuid;

#[derive(Clone, Debug)]
pub struct SessionRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub refresh_token_hash: Vec<u8>,
    pub device: String,
    pub ip_address: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

pub struct InsertSession {
    pub id: Uuid,
    pub user_id: Uuid,
    pub refresh_token_hash: Vec<u8>,
    pub device: String,
    pub ip_address: String,
    pub expires_at: DateTime<Utc>,
}

pub struct FindSession {
    pub id: Uuid,
}

/// Replaces the refresh token hash, but only if it still is `expected_hash`: of two refreshes
/// racing with the same token, exactly one rotates. Returns whether this one did.
pub struct RotateRefreshToken {
    pub id: Uuid,
    pub expected_hash: Vec<u8>,
    pub new_hash: Vec<u8>,
    pub ip_address: String,
}

/// Revokes one session. Returns whether it was active.
pub struct RevokeSessionRow {
    pub id: Uuid,
    pub user_id: Uuid,
}

/// Revokes every active session of an account. Returns their ids.
pub struct RevokeUserSessions {
    pub user_id: Uuid,
}

/// Revokes every active session of an account but `keep`. Returns their ids.
pub struct RevokeOtherSessions {
    pub user_id: Uuid,
    pub keep: Uuid,
}

/// Revokes the active sessions of an account beyond the `keep` most recently used. Returns
/// their ids.
pub struct RevokeSessionsBeyond {
    pub user_id: Uuid,
    pub keep: i64,
}

/// Whether a session is neither revoked nor expired.
pub struct IsSessionActive {
    pub id: Uuid,
}

/// The active sessions of an account, newest first.
pub struct ListActiveSessions {
    pub user_id: Uuid,
}

impl Processor<InsertSession> for DatabaseProcessor {
    type Output = SessionRow;
    type Error = sqlx::Error;

    async fn process(&self, input: InsertSession) -> Result<Self::Output, Self::Error> {
        sqlx::query_as!(
            SessionRow,
            "INSERT INTO auth.session
                 (id, user_id, refresh_token_hash, device, ip_address, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             RETURNING id, user_id, refresh_token_hash, device, ip_address, created_at,
                       last_used_at, expires_at, revoked_at",
            input.id,
            input.user_id,
            input.refresh_token_hash,
            input.device,
            input.ip_address,
            input.expires_at,
        )
        .fetch_one(self.pool())
        .await
    }
}

impl Processor<FindSession> for DatabaseProcessor {
    type Output = Option<SessionRow>;
    type Error = sqlx::Error;

    async fn process(&self, input: FindSession) -> Result<Self::Output, Self::Error> {
        sqlx::query_as!(
            SessionRow,
            "SELECT id, user_id, refresh_token_hash, device, ip_address, created_at,
                    last_used_at, expires_at, revoked_at
             FROM auth.session WHERE id = $1",
            input.id,
        )
        .fetch_optional(self.pool())
        .await
    }
}

impl Processor<RotateRefreshToken> for DatabaseProcessor {
    type Output = bool;
    type Error = sqlx::Error;

    async fn process(&self, input: RotateRefreshToken) -> Result<Self::Output, Self::Error> {
        let result = sqlx::query!(
            "UPDATE auth.session
             SET refresh_token_hash = $3, last_used_at = now(), ip_address = $4
             WHERE id = $1 AND refresh_token_hash = $2 AND revoked_at IS NULL",
            input.id,
            input.expected_hash,
            input.new_hash,
            input.ip_address,
        )
        .execute(self.pool())
        .await?;
        Ok(result.rows_affected() == 1)
    }
}

impl Processor<RevokeSessionRow> for DatabaseProcessor {
    type Output = bool;
    type Error = sqlx::Error;

    async fn process(&self, input: RevokeSessionRow) -> Result<Self::Output, Self::Error> {
        let result = sqlx::query!(
            "UPDATE auth.session SET revoked_at = now()
             WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
            input.id,
            input.user_id,
        )
        .execute(self.pool())
        .await?;
        Ok(result.rows_affected() == 1)
    }
}

impl Processor<RevokeUserSessions> for DatabaseProcessor {
    type Output = Vec<Uuid>;
    type Error = sqlx::Error;

    async fn process(&self, input: RevokeUserSessions) -> Result<Self::Output, Self::Error> {
        sqlx::query_scalar!(
            "UPDATE auth.session SET revoked_at = now()
             WHERE user_id = $1 AND revoked_at IS NULL
             RETURNING id",
            input.user_id,
        )
        .fetch_all(self.pool())
        .await
    }
}

impl Processor<RevokeOtherSessions> for DatabaseProcessor {
    type Output = Vec<Uuid>;
    type Error = sqlx::Error;

    async fn process(&self, input: RevokeOtherSessions) -> Result<Self::Output, Self::Error> {
        sqlx::query_scalar!(
            "UPDATE auth.session SET revoked_at = now()
             WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL
             RETURNING id",
            input.user_id,
            input.keep,
        )
        .fetch_all(self.pool())
        .await
    }
}

impl Processor<RevokeSessionsBeyond> for DatabaseProcessor {
    type Output = Vec<Uuid>;
    type Error = sqlx::Error;

    async fn process(&self, input: RevokeSessionsBeyond) -> Result<Self::Output, Self::Error> {
        sqlx::query_scalar!(
            "UPDATE auth.session SET revoked_at = now()
             WHERE id IN (SELECT id FROM auth.session
                          WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()
                          ORDER BY last_used_at DESC, id DESC
                          OFFSET $2)
               AND revoked_at IS NULL
             RETURNING id",
            input.user_id,
            input.keep,
        )
        .fetch_all(self.pool())
        .await
    }
}

impl Processor<IsSessionActive> for DatabaseProcessor {
    type Output = bool;
    type Error = sqlx::Error;

    async fn process(&self, input: IsSessionActive) -> Result<bool, Self::Error> {
        sqlx::query_scalar!(
            r#"SELECT EXISTS (
                   SELECT 1 FROM auth.session
                   WHERE id = $1 AND revoked_at IS NULL AND expires_at > now()
               ) AS "active!""#,
            input.id,
        )
        .fetch_one(self.pool())
        .await
    }
}

impl Processor<ListActiveSessions> for DatabaseProcessor {
    type Output = Vec<SessionRow>;
    type Error = sqlx::Error;

    async fn process(&self, input: ListActiveSessions) -> Result<Self::Output, Self::Error> {
        sqlx::query_as!(
            SessionRow,
            "SELECT id, user_id, refresh_token_hash, device, ip_address, created_at,
                    last_used_at, expires_at, revoked_at
             FROM auth.session
             WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()
             ORDER BY last_used_at DESC
             LIMIT 100",
            input.user_id,
        )
        .fetch_all(self.pool())
        .await
    }
}

/// Whether the account has had a session from this device label and address before, revoked
/// or not: the test for sending a new-sign-in notice.
pub struct SeenDevice {
    pub user_id: Uuid,
    pub device: String,
    pub ip_address: String,
}

impl Processor<SeenDevice> for DatabaseProcessor {
    type Output = bool;
    type Error = sqlx::Error;

    async fn process(&self, input: SeenDevice) -> Result<Self::Output, Self::Error> {
        sqlx::query_scalar!(
            r#"SELECT EXISTS (
                   SELECT 1 FROM auth.session
                   WHERE user_id = $1 AND device = $2 AND ip_address = $3
               ) AS "seen!""#,
            input.user_id,
            input.device,
            input.ip_address,
        )
        .fetch_one(self.pool())
        .await
    }
}

/// Deletes up to `limit` sessions that ended (expired or were revoked) before `ended_before`.
/// Returns how many it deleted; fewer than `limit` means none is left.
///
/// Bounded so that one purge never holds many row locks or writes one huge transaction.
pub struct PurgeEndedSessions {
    pub ended_before: DateTime<Utc>,
    pub limit: i64,
}

impl Processor<PurgeEndedSessions> for DatabaseProcessor {
    type Output = u64;
    type Error = sqlx::Error;

    async fn process(&self, input: PurgeEndedSessions) -> Result<Self::Output, Self::Error> {
        let result = sqlx::query!(
            "DELETE FROM auth.session
             WHERE id IN (SELECT id FROM auth.session
                          WHERE LEAST(expires_at, revoked_at) < $1
                          LIMIT $2)",
            input.ended_before,
            input.limit,
        )
        .execute(self.pool())
        .await?;
        Ok(result.rows_affected())
    }
}
