//! `auth.email_link`: registration, password-reset and email-change links.
//!
//! Consuming a link and acting on it happen in one transaction ([`lock_link`] takes a row
//! lock), so two clicks racing on the same link cannot both succeed.

use chrono::{DateTime, Utc};
use helium_framework::processor::{DatabaseProcessor, Processor};
use uuid::Uuid;

/// What a link is for, as stored in `purpose`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkPurpose {
    Registration,
    PasswordReset,
    /// Confirms a new address for an account: `email` is the new address, `user_id` the
    /// account.
    EmailChange,
}

impl LinkPurpose {
    pub fn as_db(self) -> &'static str {
        match self {
            Self::Registration => "registration",
            Self::PasswordReset => "password_reset",
            Self::EmailChange => "email_change",
        }
    }
}

/// Deletes links created before `created_before`. Returns how many.
pub struct PurgeLinks {
    pub created_before: DateTime<Utc>,
}

impl Processor<PurgeLinks> for DatabaseProcessor {
    type Output = u64;
    type Error = sqlx::Error;

    async fn process(&self, input: PurgeLinks) -> Result<Self::Output, Self::Error> {
        let result = sqlx::query!(
            "DELETE FROM auth.email_link WHERE created_at < $1",
            input.created_before
        )
        .execute(self.pool())
        .await?;
        Ok(result.rows_affected())
    }
}

/// A link as read while consuming it.
#[derive(Debug)]
pub struct EmailLinkRow {
    pub email: String,
    pub user_id: Option<Uuid>,
    pub referral_code: Option<String>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

/// Inserts a link inside the caller's transaction.
pub async fn insert_link(
    connection: &mut sqlx::PgConnection,
    token_hash: &[u8],
    purpose: LinkPurpose,
    email: &str,
    user_id: Option<Uuid>,
    referral_code: Option<&str>,
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO auth.email_link
             (token_hash, purpose, email, user_id, referral_code, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
        token_hash,
        purpose.as_db(),
        email,
        user_id,
        referral_code,
        expires_at,
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// Reads a link and locks it for the rest of the caller's transaction.
pub async fn lock_link(
    connection: &mut sqlx::PgConnection,
    token_hash: &[u8],
    purpose: LinkPurpose,
) -> Result<Option<EmailLinkRow>, sqlx::Error> {
    sqlx::query_as!(
        EmailLinkRow,
        "SELECT email, user_id, referral_code, expires_at, used_at
         FROM auth.email_link WHERE token_hash = $1 AND purpose = $2
         FOR UPDATE",
        token_hash,
        purpose.as_db(),
    )
    .fetch_optional(connection)
    .await
}

/// Marks a locked link used.
pub async fn mark_link_used(
    connection: &mut sqlx::PgConnection,
    token_hash: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE auth.email_link SET used_at = now() WHERE token_hash = $1",
        token_hash
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// Marks every unused link of `purpose` for an account used, inside the caller's transaction:
/// a newer request, or an email change, makes the older links meaningless. Returns how many.
pub async fn retire_links(
    connection: &mut sqlx::PgConnection,
    user_id: Uuid,
    purpose: LinkPurpose,
) -> Result<u64, sqlx::Error> {
    let retired = sqlx::query!(
        "UPDATE auth.email_link SET used_at = now()
         WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL",
        user_id,
        purpose.as_db(),
    )
    .execute(connection)
    .await?;
    Ok(retired.rows_affected())
}
