//! `manage.admin_credential`: the one active credential of each admin, stored as a hash.

use chrono::{DateTime, Utc};
use helium_framework::processor::{DatabaseProcessor, Processor};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::entities::db::admin_account::AdminAccountRow;
use crate::entities::db::audit_log::{self, NewAuditEntry};

/// A credential to store: a fresh id (the `sid` of the tokens it signs in) and the secret's hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCredential {
    pub credential_id: Uuid,
    pub secret_hash: Vec<u8>,
}

/// An account together with the id of its current credential.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialHolderRow {
    pub id: Uuid,
    pub name: String,
    pub role: String,
    pub email: Option<String>,
    pub avatar: Option<String>,
    pub created_at: DateTime<Utc>,
    pub credential_id: Uuid,
}

/// The account that `secret_hash` belongs to, if it is the current credential of the admin
/// with this id (or, when `admin_id` is `None`, with this e-mail address in any letter case).
pub struct FindCredentialHolder {
    pub admin_id: Option<Uuid>,
    pub email: Option<String>,
    pub secret_hash: Vec<u8>,
}

/// The account of an access token's session, if `credential_id` is still that admin's
/// current credential. Checked on every authenticated request.
pub struct FindSessionAdmin {
    pub admin_id: Uuid,
    pub credential_id: Uuid,
}

/// Gives an admin a credential, replacing any current one, with its audit row, in one
/// transaction. Returns the account, or `None` when there is no such admin.
pub struct IssueAdminCredential {
    pub admin_id: Uuid,
    pub credential: NewCredential,
    pub audit: NewAuditEntry,
}

/// Replaces an admin's credential only if `current_hash` is still the current one, with its
/// audit row, in one transaction. Returns whether it was replaced. The condition makes two
/// rotations racing with the same old credential safe: the second finds it gone.
pub struct RotateAdminCredential {
    pub admin_id: Uuid,
    pub current_hash: Vec<u8>,
    pub credential: NewCredential,
    pub audit: NewAuditEntry,
}

/// Stores `credential` as the admin's only one, on the caller's transaction. The old row's
/// `credential_id` and hash are overwritten, which is what revokes them.
pub async fn replace(
    connection: &mut PgConnection,
    admin_id: Uuid,
    credential: &NewCredential,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO manage.admin_credential (admin_id, credential_id, secret_hash)
         VALUES ($1, $2, $3)
         ON CONFLICT (admin_id) DO UPDATE
         SET credential_id = EXCLUDED.credential_id,
             secret_hash = EXCLUDED.secret_hash,
             issued_at = now()",
        admin_id,
        credential.credential_id,
        credential.secret_hash,
    )
    .execute(connection)
    .await?;
    Ok(())
}

impl Processor<FindCredentialHolder> for DatabaseProcessor {
    type Output = Option<CredentialHolderRow>;
    type Error = sqlx::Error;

    async fn process(&self, input: FindCredentialHolder) -> Result<Self::Output, Self::Error> {
        // The hash is unique, so the lookup starts from it; the identity must then match too.
        // Comparing hashes in SQL leaks no timing worth having: a caller who learns how many
        // leading bytes of a SHA-256 matched is no closer to a 256-bit secret.
        sqlx::query_as!(
            CredentialHolderRow,
            "SELECT a.id, a.name, a.role, a.email, a.avatar, a.created_at, c.credential_id
             FROM manage.admin_credential c
             JOIN manage.admin_account a ON a.id = c.admin_id
             WHERE c.secret_hash = $1
               AND CASE WHEN $2::uuid IS NOT NULL THEN a.id = $2
                        ELSE lower(a.email) = lower($3::text) END",
            input.secret_hash,
            input.admin_id,
            input.email,
        )
        .fetch_optional(self.pool())
        .await
    }
}

impl Processor<FindSessionAdmin> for DatabaseProcessor {
    type Output = Option<AdminAccountRow>;
    type Error = sqlx::Error;

    async fn process(&self, input: FindSessionAdmin) -> Result<Self::Output, Self::Error> {
        sqlx::query_as!(
            AdminAccountRow,
            "SELECT a.id, a.name, a.role, a.email, a.avatar, a.created_at
             FROM manage.admin_account a
             JOIN manage.admin_credential c ON c.admin_id = a.id
             WHERE a.id = $1 AND c.credential_id = $2",
            input.admin_id,
            input.credential_id,
        )
        .fetch_optional(self.pool())
        .await
    }
}

impl Processor<IssueAdminCredential> for DatabaseProcessor {
    type Output = Option<AdminAccountRow>;
    type Error = sqlx::Error;

    async fn process(&self, input: IssueAdminCredential) -> Result<Self::Output, Self::Error> {
        let mut transaction = self.pool().begin().await?;
        // The row lock keeps a deletion from slipping in between this check and the insert.
        let account = sqlx::query_as!(
            AdminAccountRow,
            "SELECT id, name, role, email, avatar, created_at
             FROM manage.admin_account WHERE id = $1
             FOR UPDATE",
            input.admin_id,
        )
        .fetch_optional(&mut *transaction)
        .await?;
        let Some(account) = account else {
            return Ok(None);
        };

        replace(&mut transaction, account.id, &input.credential).await?;
        audit_log::append(&mut transaction, &input.audit).await?;
        transaction.commit().await?;
        Ok(Some(account))
    }
}

impl Processor<RotateAdminCredential> for DatabaseProcessor {
    type Output = bool;
    type Error = sqlx::Error;

    async fn process(&self, input: RotateAdminCredential) -> Result<Self::Output, Self::Error> {
        let mut transaction = self.pool().begin().await?;
        let rotated = sqlx::query!(
            "UPDATE manage.admin_credential
             SET credential_id = $3, secret_hash = $4, issued_at = now()
             WHERE admin_id = $1 AND secret_hash = $2",
            input.admin_id,
            input.current_hash,
            input.credential.credential_id,
            input.credential.secret_hash,
        )
        .execute(&mut *transaction)
        .await?
        .rows_affected()
            == 1;
        if !rotated {
            return Ok(false);
        }

        audit_log::append(&mut transaction, &input.audit).await?;
        transaction.commit().await?;
        Ok(true)
    }
}
