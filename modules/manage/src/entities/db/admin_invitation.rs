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
    /// Set when a super admin withdrew the invitation.
    pub revoked_at: Option<DateTime<Utc>>,
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

/// Invitations that can still be accepted (neither accepted, revoked nor expired), newest
/// first.
pub struct ListPendingInvitations {
    pub limit: i64,
    pub offset: i64,
}

/// Withdraws an invitation that was neither accepted nor revoked, and appends the audit row,
/// in one transaction. The `UPDATE ... WHERE accepted_at IS NULL` takes the row lock an
/// acceptance also needs, so of an acceptance and a revocation racing, exactly one wins.
pub struct RevokeAdminInvitation {
    pub id: Uuid,
    pub audit: NewAuditEntry,
}

/// What [`RevokeAdminInvitation`] found; only `Revoked` wrote anything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Revocation {
    Revoked,
    NotFound,
    Accepted,
    AlreadyRevoked,
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
             RETURNING id, email, role, invited_by, created_at, expires_at, accepted_at,
                       revoked_at",
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
            "SELECT id, email, role, invited_by, created_at, expires_at, accepted_at, revoked_at
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
             WHERE token_hash = $1 AND accepted_at IS NULL AND revoked_at IS NULL
               AND expires_at > now()
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

impl Processor<ListPendingInvitations> for DatabaseProcessor {
    type Output = Vec<AdminInvitationRow>;
    type Error = sqlx::Error;

    async fn process(&self, input: ListPendingInvitations) -> Result<Self::Output, Self::Error> {
        sqlx::query_as!(
            AdminInvitationRow,
            "SELECT id, email, role, invited_by, created_at, expires_at, accepted_at, revoked_at
             FROM manage.admin_invitation
             WHERE accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()
             ORDER BY created_at DESC, id DESC
             LIMIT $1 OFFSET $2",
            input.limit,
            input.offset,
        )
        .fetch_all(self.pool())
        .await
    }
}

impl Processor<RevokeAdminInvitation> for DatabaseProcessor {
    type Output = Revocation;
    type Error = sqlx::Error;

    async fn process(&self, input: RevokeAdminInvitation) -> Result<Self::Output, Self::Error> {
        let mut transaction = self.pool().begin().await?;
        let revoked = sqlx::query!(
            "UPDATE manage.admin_invitation SET revoked_at = now()
             WHERE id = $1 AND accepted_at IS NULL AND revoked_at IS NULL",
            input.id,
        )
        .execute(&mut *transaction)
        .await?
        .rows_affected()
            == 1;
        if revoked {
            audit_log::append(&mut transaction, &input.audit).await?;
            transaction.commit().await?;
            return Ok(Revocation::Revoked);
        }

        let state = sqlx::query!(
            r#"SELECT accepted_at IS NOT NULL AS "accepted!"
               FROM manage.admin_invitation WHERE id = $1"#,
            input.id,
        )
        .fetch_optional(&mut *transaction)
        .await?;
        Ok(match state {
            None => Revocation::NotFound,
            Some(state) if state.accepted => Revocation::Accepted,
            Some(_) => Revocation::AlreadyRevoked,
        })
    }
}
