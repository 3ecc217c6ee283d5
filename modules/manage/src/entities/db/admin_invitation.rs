//! `manage.admin_invitation`: invitations to become an admin, single-use and time-limited.

use chrono::{DateTime, Utc};
use helium_framework::processor::{DatabaseProcessor, Processor};
use helium_mailer::{EnqueueError, RenderedEmail, enqueue_email};
use uuid::Uuid;

use crate::entities::db::admin_account::{AdminAccountRow, NewAccount, insert_account};
use crate::entities::db::admin_credential::{self, NewCredential};
use crate::entities::db::audit_log::{self, NewAuditEntry};

/// A row of `manage.admin_invitation`, without the token hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdminInvitationRow {
    pub id: Uuid,
    pub email: String,
    pub role: String,
    pub invited_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
}

/// Stores an invitation, queues its e-mail and appends the audit row, in one transaction: the
/// e-mail goes out exactly when the invitation exists.
pub struct InsertAdminInvitation {
    pub id: Uuid,
    pub email: String,
    pub role: &'static str,
    pub token_hash: Vec<u8>,
    pub invited_by: Uuid,
    pub expires_at: DateTime<Utc>,
    pub message: RenderedEmail,
    pub audit: NewAuditEntry,
}

/// An invitation by its token's hash, whatever its state.
pub struct FindAdminInvitation {
    pub token_hash: Vec<u8>,
}

/// Accepts a pending invitation: marks it accepted, creates the account with the invitation's
/// e-mail address and role, stores its credential and appends the audit row, in one
/// transaction. Returns `None`, having changed nothing, when no pending and unexpired
/// invitation has this token.
///
/// The invitation is claimed first, with an `UPDATE ... WHERE accepted_at IS NULL`: of two
/// acceptances racing with one token, the second waits for the first's row lock and then finds
/// the invitation taken.
pub struct AcceptAdminInvitation {
    pub token_hash: Vec<u8>,
    pub admin_id: Uuid,
    pub name: String,
    pub credential: NewCredential,
    /// Built before the claim, so its actor is the account about to be created.
    pub audit: NewAuditEntry,
}

impl Processor<InsertAdminInvitation> for DatabaseProcessor {
    type Output = AdminInvitationRow;
    type Error = EnqueueError;

    async fn process(&self, input: InsertAdminInvitation) -> Result<Self::Output, Self::Error> {
        let mut transaction = self.pool().begin().await?;
        let row = sqlx::query_as!(
            AdminInvitationRow,
            "INSERT INTO manage.admin_invitation
                 (id, email, role, token_hash, invited_by, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             RETURNING id, email, role, invited_by, created_at, expires_at, accepted_at",
            input.id,
            input.email,
            input.role,
            input.token_hash,
            input.invited_by,
            input.expires_at,
        )
        .fetch_one(&mut *transaction)
        .await?;

        enqueue_email(&mut transaction, &row.email, &input.message).await?;
        audit_log::append(&mut transaction, &input.audit).await?;
        transaction.commit().await?;
        Ok(row)
    }
}

impl Processor<FindAdminInvitation> for DatabaseProcessor {
    type Output = Option<AdminInvitationRow>;
    type Error = sqlx::Error;

    async fn process(&self, input: FindAdminInvitation) -> Result<Self::Output, Self::Error> {
        sqlx::query_as!(
            AdminInvitationRow,
            "SELECT id, email, role, invited_by, created_at, expires_at, accepted_at
             FROM manage.admin_invitation WHERE token_hash = $1",
            input.token_hash,
        )
        .fetch_optional(self.pool())
        .await
    }
}

impl Processor<AcceptAdminInvitation> for DatabaseProcessor {
    type Output = Option<AdminAccountRow>;
    type Error = sqlx::Error;

    async fn process(&self, input: AcceptAdminInvitation) -> Result<Self::Output, Self::Error> {
        let mut transaction = self.pool().begin().await?;
        let claimed = sqlx::query!(
            "UPDATE manage.admin_invitation
             SET accepted_at = now()
             WHERE token_hash = $1 AND accepted_at IS NULL AND expires_at > now()
             RETURNING id, email, role",
            input.token_hash,
        )
        .fetch_optional(&mut *transaction)
        .await?;
        let Some(invitation) = claimed else {
            return Ok(None);
        };

        let account = insert_account(
            &mut transaction,
            NewAccount {
                id: input.admin_id,
                name: &input.name,
                role: &invitation.role,
                email: Some(&invitation.email),
                avatar: None,
            },
        )
        .await?;
        // Only now does the account exist for the invitation to point to.
        sqlx::query!(
            "UPDATE manage.admin_invitation SET accepted_admin_id = $2 WHERE id = $1",
            invitation.id,
            account.id,
        )
        .execute(&mut *transaction)
        .await?;
        admin_credential::replace(&mut transaction, account.id, &input.credential).await?;
        audit_log::append(&mut transaction, &input.audit).await?;
        transaction.commit().await?;
        Ok(Some(account))
    }
}
