//! `auth.oauth_identity`: provider accounts linked to customer accounts, and the account-row
//! lock that keeps at least one way to sign in.

use chrono::{DateTime, Utc};
use helium_framework::processor::{DatabaseProcessor, Processor};
use uuid::Uuid;

/// The constraint a second link of one provider account violates.
pub const SUBJECT_TAKEN: &str = "oauth_identity_subject";
/// The constraint a second identity of one provider on one account violates.
pub const PROVIDER_TAKEN: &str = "oauth_identity_user_provider";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthIdentityRow {
    pub user_id: Uuid,
    pub provider: String,
    pub subject: String,
    pub email: Option<String>,
    pub linked_at: DateTime<Utc>,
}

/// The identity a provider account is linked as, if any.
pub struct FindIdentity {
    pub provider: String,
    pub subject: String,
}

/// An account's linked identities, oldest first.
pub struct ListIdentities {
    pub user_id: Uuid,
}

/// The ways an account can sign in, read under a lock of the account row.
#[derive(Clone, Debug)]
pub struct LockedLoginMethods {
    pub email: String,
    pub has_password: bool,
    /// The linked providers.
    pub providers: Vec<String>,
}

impl Processor<FindIdentity> for DatabaseProcessor {
    type Output = Option<OAuthIdentityRow>;
    type Error = sqlx::Error;

    async fn process(&self, input: FindIdentity) -> Result<Self::Output, Self::Error> {
        sqlx::query_as!(
            OAuthIdentityRow,
            "SELECT user_id, provider, subject, email, linked_at FROM auth.oauth_identity
             WHERE provider = $1 AND subject = $2",
            input.provider,
            input.subject,
        )
        .fetch_optional(self.pool())
        .await
    }
}

impl Processor<ListIdentities> for DatabaseProcessor {
    type Output = Vec<OAuthIdentityRow>;
    type Error = sqlx::Error;

    async fn process(&self, input: ListIdentities) -> Result<Self::Output, Self::Error> {
        sqlx::query_as!(
            OAuthIdentityRow,
            "SELECT user_id, provider, subject, email, linked_at FROM auth.oauth_identity
             WHERE user_id = $1 ORDER BY linked_at, provider",
            input.user_id,
        )
        .fetch_all(self.pool())
        .await
    }
}

/// Links an identity inside the caller's transaction. A unique violation names
/// [`SUBJECT_TAKEN`] or [`PROVIDER_TAKEN`].
pub async fn insert_identity(
    connection: &mut sqlx::PgConnection,
    user_id: Uuid,
    provider: &str,
    subject: &str,
    email: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO auth.oauth_identity (user_id, provider, subject, email)
         VALUES ($1, $2, $3, $4)",
        user_id,
        provider,
        subject,
        email,
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// Unlinks the account's identity of `provider`; returns whether there was one.
pub async fn delete_identity(
    connection: &mut sqlx::PgConnection,
    user_id: Uuid,
    provider: &str,
) -> Result<bool, sqlx::Error> {
    let deleted = sqlx::query!(
        "DELETE FROM auth.oauth_identity WHERE user_id = $1 AND provider = $2",
        user_id,
        provider,
    )
    .execute(connection)
    .await?;
    Ok(deleted.rows_affected() == 1)
}

/// Locks the account row until the caller's transaction ends and reads its login methods.
///
/// Every change that removes a login method takes this lock first, so two removals racing on
/// one account run one after the other and the second sees what the first left.
pub async fn lock_login_methods(
    connection: &mut sqlx::PgConnection,
    user_id: Uuid,
) -> Result<Option<LockedLoginMethods>, sqlx::Error> {
    let account = sqlx::query!(
        r#"SELECT email, (password_hash IS NOT NULL) AS "has_password!"
           FROM auth.user_account WHERE id = $1 FOR UPDATE"#,
        user_id,
    )
    .fetch_optional(&mut *connection)
    .await?;
    let Some(account) = account else {
        return Ok(None);
    };
    let providers = sqlx::query_scalar!(
        "SELECT provider FROM auth.oauth_identity WHERE user_id = $1 ORDER BY provider",
        user_id,
    )
    .fetch_all(&mut *connection)
    .await?;
    Ok(Some(LockedLoginMethods {
        email: account.email,
        has_password: account.has_password,
        providers,
    }))
}

/// Creates an account that signs in through a provider only: it has no password.
pub async fn insert_passwordless_account(
    connection: &mut sqlx::PgConnection,
    id: Uuid,
    email: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO auth.user_account (id, email, password_hash) VALUES ($1, $2, NULL)",
        id,
        email,
    )
    .execute(connection)
    .await?;
    Ok(())
}

/// Removes the account's password, inside the caller's transaction (which holds the lock of
/// [`lock_login_methods`]).
pub async fn clear_password(
    connection: &mut sqlx::PgConnection,
    user_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE auth.user_account SET password_hash = NULL, updated_at = now() WHERE id = $1",
        user_id,
    )
    .execute(connection)
    .await?;
    Ok(())
}
