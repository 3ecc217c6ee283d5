//! `auth.user_account`.

use chrono::{DateTime, Utc};
use helium_framework::processor::{DatabaseProcessor, Processor};
use uuid::Uuid;

/// A customer account. Not `Debug`: it holds the password hash.
#[derive(Clone)]
pub struct UserAccountRow {
    pub id: Uuid,
    pub email: String,
    pub password_hash: Option<String>,
    pub referral_code: Option<String>,
    pub banned_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// An account by email, in any letter case.
pub struct FindUserByEmail {
    pub email: String,
}

/// An account by id.
pub struct FindUserById {
    pub id: Uuid,
}

/// What the account's own profile shows, read in one round trip: it is on the hot path of
/// every client start.
pub struct FindProfile {
    pub id: Uuid,
}

#[derive(Clone, Debug)]
pub struct ProfileRow {
    pub id: Uuid,
    pub email: String,
    pub referral_code: Option<String>,
    pub created_at: DateTime<Utc>,
    /// A confirmed authenticator exists; a pending enrolment does not count.
    pub mfa_enabled: bool,
}

impl Processor<FindProfile> for DatabaseProcessor {
    type Output = Option<ProfileRow>;
    type Error = sqlx::Error;

    async fn process(&self, input: FindProfile) -> Result<Self::Output, Self::Error> {
        sqlx::query_as!(
            ProfileRow,
            r#"SELECT account.id, account.email, account.referral_code, account.created_at,
                      (mfa.enabled_at IS NOT NULL) AS "mfa_enabled!"
               FROM auth.user_account AS account
               LEFT JOIN auth.user_mfa AS mfa ON mfa.user_id = account.id
               WHERE account.id = $1"#,
            input.id,
        )
        .fetch_optional(self.pool())
        .await
    }
}

impl Processor<FindUserByEmail> for DatabaseProcessor {
    type Output = Option<UserAccountRow>;
    type Error = sqlx::Error;

    async fn process(&self, input: FindUserByEmail) -> Result<Self::Output, Self::Error> {
        sqlx::query_as!(
            UserAccountRow,
            "SELECT id, email, password_hash, referral_code, banned_at, created_at
             FROM auth.user_account WHERE lower(email) = lower($1)",
            input.email,
        )
        .fetch_optional(self.pool())
        .await
    }
}

impl Processor<FindUserById> for DatabaseProcessor {
    type Output = Option<UserAccountRow>;
    type Error = sqlx::Error;

    async fn process(&self, input: FindUserById) -> Result<Self::Output, Self::Error> {
        sqlx::query_as!(
            UserAccountRow,
            "SELECT id, email, password_hash, referral_code, banned_at, created_at
             FROM auth.user_account WHERE id = $1",
            input.id,
        )
        .fetch_optional(self.pool())
        .await
    }
}

/// Creates an account inside the caller's transaction.
pub async fn insert_account(
    connection: &mut sqlx::PgConnection,
    id: Uuid,
    email: &str,
    password_hash: &str,
    referral_code: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO auth.user_account (id, email, password_hash, referral_code)
         VALUES ($1, $2, $3, $4)",
        id,
        email,
        password_hash,
        referral_code,
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// Replaces an account's password inside the caller's transaction.
pub async fn set_password(
    connection: &mut sqlx::PgConnection,
    user_id: Uuid,
    password_hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE auth.user_account SET password_hash = $2, updated_at = now() WHERE id = $1",
        user_id,
        password_hash,
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// Replaces an account's email address inside the caller's transaction. Returns the address
/// it had, or `None` when no account has this id. An address another account holds (in any
/// letter case) fails with the unique index's violation, so two accounts racing for one
/// address cannot both get it.
pub async fn set_email(
    connection: &mut sqlx::PgConnection,
    user_id: Uuid,
    email: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "UPDATE auth.user_account AS account SET email = $2, updated_at = now()
         FROM (SELECT id, email FROM auth.user_account WHERE id = $1 FOR UPDATE) AS previous
         WHERE account.id = previous.id
         RETURNING previous.email",
        user_id,
        email,
    )
    .fetch_optional(connection)
    .await
}
