//! `auth.user_mfa` and `auth.mfa_recovery_code`: an account's authenticator and its
//! recovery codes.

use chrono::{DateTime, Utc};
use helium_framework::processor::{DatabaseProcessor, Processor};
use uuid::Uuid;

/// An account's second factor. Not `Debug`: it holds the TOTP secret.
#[derive(Clone)]
pub struct UserMfaRow {
    pub user_id: Uuid,
    /// The TOTP secret in base32.
    pub secret: String,
    /// `None` while the enrolment waits for its first code.
    pub enabled_at: Option<DateTime<Utc>>,
}

/// An account's authenticator, confirmed or pending.
pub struct FindUserMfa {
    pub user_id: Uuid,
}

/// Starts an enrolment, replacing a pending one. Does nothing if MFA is already on, and
/// returns whether the secret was stored.
pub struct StorePendingMfa {
    pub user_id: Uuid,
    pub secret: String,
}

/// Accepts a TOTP code of time step `step`, but only if no code of that step or a later one
/// was accepted before: of two uses of one code, exactly one is accepted. Returns whether
/// this one was.
pub struct AcceptTotpStep {
    pub user_id: Uuid,
    pub step: i64,
}

/// Uses up an unused recovery code. Returns whether it was unused: of two uses of one code,
/// exactly one succeeds.
pub struct UseRecoveryCode {
    pub user_id: Uuid,
    pub code_hash: Vec<u8>,
}

impl Processor<FindUserMfa> for DatabaseProcessor {
    type Output = Option<UserMfaRow>;
    type Error = sqlx::Error;

    async fn process(&self, input: FindUserMfa) -> Result<Self::Output, Self::Error> {
        sqlx::query_as!(
            UserMfaRow,
            "SELECT user_id, secret, enabled_at FROM auth.user_mfa WHERE user_id = $1",
            input.user_id,
        )
        .fetch_optional(self.pool())
        .await
    }
}

impl Processor<StorePendingMfa> for DatabaseProcessor {
    type Output = bool;
    type Error = sqlx::Error;

    async fn process(&self, input: StorePendingMfa) -> Result<bool, Self::Error> {
        let stored = sqlx::query!(
            "INSERT INTO auth.user_mfa (user_id, secret) VALUES ($1, $2)
             ON CONFLICT (user_id) DO UPDATE
                 SET secret = excluded.secret, last_used_step = NULL, created_at = now()
                 WHERE auth.user_mfa.enabled_at IS NULL",
            input.user_id,
            input.secret,
        )
        .execute(self.pool())
        .await?;
        Ok(stored.rows_affected() == 1)
    }
}

impl Processor<AcceptTotpStep> for DatabaseProcessor {
    type Output = bool;
    type Error = sqlx::Error;

    async fn process(&self, input: AcceptTotpStep) -> Result<bool, Self::Error> {
        let accepted = sqlx::query!(
            "UPDATE auth.user_mfa SET last_used_step = $2
             WHERE user_id = $1 AND enabled_at IS NOT NULL
               AND (last_used_step IS NULL OR last_used_step < $2)",
            input.user_id,
            input.step,
        )
        .execute(self.pool())
        .await?;
        Ok(accepted.rows_affected() == 1)
    }
}

impl Processor<UseRecoveryCode> for DatabaseProcessor {
    type Output = bool;
    type Error = sqlx::Error;

    async fn process(&self, input: UseRecoveryCode) -> Result<bool, Self::Error> {
        let used = sqlx::query!(
            "UPDATE auth.mfa_recovery_code SET used_at = now()
             WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
            input.user_id,
            input.code_hash,
        )
        .execute(self.pool())
        .await?;
        Ok(used.rows_affected() == 1)
    }
}

/// Turns a pending enrolment on inside the caller's transaction, remembering the step of the
/// confirming code, and stores the recovery codes' hashes. Returns whether it was pending.
pub async fn enable_mfa(
    connection: &mut sqlx::PgConnection,
    user_id: Uuid,
    step: i64,
    recovery_code_hashes: &[Vec<u8>],
) -> Result<bool, sqlx::Error> {
    let enabled = sqlx::query!(
        "UPDATE auth.user_mfa SET enabled_at = now(), last_used_step = $2
         WHERE user_id = $1 AND enabled_at IS NULL",
        user_id,
        step,
    )
    .execute(&mut *connection)
    .await?;
    if enabled.rows_affected() != 1 {
        return Ok(false);
    }

    sqlx::query!(
        "INSERT INTO auth.mfa_recovery_code (user_id, code_hash)
         SELECT $1, code_hash FROM UNNEST($2::bytea[]) AS codes (code_hash)",
        user_id,
        recovery_code_hashes,
    )
    .execute(connection)
    .await?;
    Ok(true)
}

/// Removes an account's authenticator and recovery codes inside the caller's transaction.
/// Returns whether MFA was on.
pub async fn disable_mfa(
    connection: &mut sqlx::PgConnection,
    user_id: Uuid,
) -> Result<bool, sqlx::Error> {
    // The recovery codes go with the row, by the foreign key's cascade.
    let removed = sqlx::query!(
        "DELETE FROM auth.user_mfa WHERE user_id = $1 AND enabled_at IS NOT NULL",
        user_id,
    )
    .execute(connection)
    .await?;
    Ok(removed.rows_affected() == 1)
}

/// Replaces an account's recovery codes inside the caller's transaction, used or not, with
/// `recovery_code_hashes`. The authenticator row is locked first, so a concurrent turning-off
/// either happens before (and this finds MFA off) or waits for this to commit. Returns whether
/// MFA was on; when it was not, nothing is written.
pub async fn replace_recovery_codes(
    connection: &mut sqlx::PgConnection,
    user_id: Uuid,
    recovery_code_hashes: &[Vec<u8>],
) -> Result<bool, sqlx::Error> {
    let enabled = sqlx::query_scalar!(
        "SELECT user_id FROM auth.user_mfa
         WHERE user_id = $1 AND enabled_at IS NOT NULL
         FOR UPDATE",
        user_id,
    )
    .fetch_optional(&mut *connection)
    .await?;
    if enabled.is_none() {
        return Ok(false);
    }

    sqlx::query!(
        "DELETE FROM auth.mfa_recovery_code WHERE user_id = $1",
        user_id
    )
    .execute(&mut *connection)
    .await?;
    sqlx::query!(
        "INSERT INTO auth.mfa_recovery_code (user_id, code_hash)
         SELECT $1, code_hash FROM UNNEST($2::bytea[]) AS codes (code_hash)",
        user_id,
        recovery_code_hashes,
    )
    .execute(connection)
    .await?;
    Ok(true)
}
