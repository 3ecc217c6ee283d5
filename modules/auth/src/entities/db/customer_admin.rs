//! `auth.user_account` as admins see it: searching accounts, reading one with its ban, and
//! setting or lifting a ban. The admin-facing services in
//! [`crate::services::customer_admin`] are the only callers.

use chrono::{DateTime, Utc};
use helium_framework::processor::{DatabaseProcessor, Processor};
use uuid::Uuid;

/// One account in a search result.
#[derive(Clone, Debug)]
pub struct CustomerSummaryRow {
    pub id: Uuid,
    pub email: String,
    pub banned_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// One account with what an admin needs to judge its state.
#[derive(Clone, Debug)]
pub struct CustomerRow {
    pub id: Uuid,
    pub email: String,
    pub has_password: bool,
    /// Whether an authenticator is enrolled and confirmed (`auth.user_mfa.enabled_at`).
    pub mfa_enabled: bool,
    pub banned_at: Option<DateTime<Utc>>,
    pub ban_reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// One page of accounts in id order, highest first; every filter is optional.
pub struct SearchCustomerRows {
    pub id: Option<Uuid>,
    /// A `LIKE` pattern, already escaped, matched in any letter case.
    pub email_pattern: Option<String>,
    /// `Some(true)` for banned accounts only, `Some(false)` for active ones only.
    pub banned: Option<bool>,
    /// The cursor: the id of the last account of the previous page.
    pub before: Option<Uuid>,
    pub limit: i64,
}

/// An account by id, with its ban.
pub struct FindCustomerRow {
    pub id: Uuid,
}

impl Processor<SearchCustomerRows> for DatabaseProcessor {
    type Output = Vec<CustomerSummaryRow>;
    type Error = sqlx::Error;

    async fn process(&self, input: SearchCustomerRows) -> Result<Self::Output, Self::Error> {
        sqlx::query_as!(
            CustomerSummaryRow,
            r#"SELECT id, email, banned_at, created_at
               FROM auth.user_account
               WHERE ($1::uuid IS NULL OR id = $1)
                 AND ($2::text IS NULL OR email ILIKE $2 ESCAPE '\')
                 AND ($3::bool IS NULL OR (banned_at IS NOT NULL) = $3)
                 AND ($4::uuid IS NULL OR id < $4)
               ORDER BY id DESC
               LIMIT $5"#,
            input.id,
            input.email_pattern,
            input.banned,
            input.before,
            input.limit,
        )
        .fetch_all(self.pool())
        .await
    }
}

impl Processor<FindCustomerRow> for DatabaseProcessor {
    type Output = Option<CustomerRow>;
    type Error = sqlx::Error;

    async fn process(&self, input: FindCustomerRow) -> Result<Self::Output, Self::Error> {
        sqlx::query_as!(
            CustomerRow,
            r#"SELECT account.id, account.email,
                      account.password_hash IS NOT NULL AS "has_password!",
                      EXISTS (
                          SELECT 1 FROM auth.user_mfa AS mfa
                          WHERE mfa.user_id = account.id AND mfa.enabled_at IS NOT NULL
                      ) AS "mfa_enabled!",
                      account.banned_at, account.ban_reason, account.created_at
               FROM auth.user_account AS account WHERE account.id = $1"#,
            input.id,
        )
        .fetch_optional(self.pool())
        .await
    }
}

/// Bans an account inside the caller's transaction, unless it is banned already. Returns the
/// address to notify and the time of the ban, or `None` when no active account has this id.
pub async fn ban_account(
    connection: &mut sqlx::PgConnection,
    id: Uuid,
    reason: &str,
) -> Result<Option<(String, DateTime<Utc>)>, sqlx::Error> {
    let banned = sqlx::query!(
        r#"UPDATE auth.user_account
           SET banned_at = now(), ban_reason = $2, updated_at = now()
           WHERE id = $1 AND banned_at IS NULL
           RETURNING email, banned_at AS "banned_at!""#,
        id,
        reason,
    )
    .fetch_optional(connection)
    .await?;
    Ok(banned.map(|row| (row.email, row.banned_at)))
}

/// Lifts an account's ban and clears its reason, so no stale reason outlives the ban. Returns
/// whether a banned account had this id.
pub struct UnbanAccount {
    pub id: Uuid,
}

impl Processor<UnbanAccount> for DatabaseProcessor {
    type Output = bool;
    type Error = sqlx::Error;

    async fn process(&self, input: UnbanAccount) -> Result<Self::Output, Self::Error> {
        let result = sqlx::query!(
            "UPDATE auth.user_account
             SET banned_at = NULL, ban_reason = NULL, updated_at = now()
             WHERE id = $1 AND banned_at IS NOT NULL",
            input.id,
        )
        .execute(self.pool())
        .await?;
        Ok(result.rows_affected() == 1)
    }
}
