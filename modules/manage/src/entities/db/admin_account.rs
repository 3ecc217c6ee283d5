//! `manage.admin_account`.

use chrono::{DateTime, Utc};
use helium_framework::outbox;
use helium_framework::processor::{DatabaseProcessor, Processor};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::entities::db::admin_credential::{self, NewCredential};
use crate::entities::db::audit_log::{self, NewAuditEntry};
use crate::events::{
    ADMIN_ACCOUNT_CREATED, ADMIN_ACCOUNT_DELETED, AdminAccountCreated, AdminAccountDeleted,
};

/// A row of `manage.admin_account`, with the role still in its stored spelling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdminAccountRow {
    pub id: Uuid,
    pub name: String,
    pub role: String,
    pub email: Option<String>,
    pub avatar: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A page of accounts, oldest first.
pub struct ListAdminAccounts {
    pub limit: i64,
    pub offset: i64,
}

/// One account by id.
pub struct FindAdminAccount {
    pub id: Uuid,
}

/// Inserts an account, its first credential if one is given, its
/// `manage.admin_account.created` event and its audit row, in one transaction.
pub struct InsertAdminAccount {
    pub id: Uuid,
    pub name: String,
    pub role: &'static str,
    pub email: Option<String>,
    pub avatar: Option<String>,
    pub credential: Option<NewCredential>,
    pub audit: NewAuditEntry,
}

/// Deletes an account (and, by cascade, its credential), records
/// `manage.admin_account.deleted` and the audit row, in one transaction. Returns whether a row
/// was deleted; when none was, nothing is written.
pub struct DeleteAdminAccount {
    pub id: Uuid,
    pub audit: NewAuditEntry,
}

/// Gives an account another role and appends the audit row, in one transaction, unless that
/// would leave no super admin.
///
/// Every super admin row is locked first, in id order, so two demotions racing (each of the
/// last two super admins demoting the other) run one after the other: the second waits for
/// the first's locks, then finds only one super admin left and changes nothing.
pub struct ChangeAdminAccountRole {
    pub id: Uuid,
    pub role: &'static str,
    pub audit: NewAuditEntry,
}

/// What [`ChangeAdminAccountRole`] found; only `Changed` wrote anything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoleChange {
    Changed(AdminAccountRow),
    NotFound,
    /// The account has this role already.
    Unchanged,
    /// The account is the only super admin, and the new role is another.
    LastSuperAdmin,
}

/// Whether another account already uses an email address, in any letter case.
pub struct AdminEmailTaken {
    pub email: String,
}

impl Processor<ListAdminAccounts> for DatabaseProcessor {
    type Output = Vec<AdminAccountRow>;
    type Error = sqlx::Error;

    async fn process(&self, input: ListAdminAccounts) -> Result<Self::Output, Self::Error> {
        sqlx::query_as!(
            AdminAccountRow,
            "SELECT id, name, role, email, avatar, created_at
             FROM manage.admin_account
             ORDER BY created_at, id
             LIMIT $1 OFFSET $2",
            input.limit,
            input.offset,
        )
        .fetch_all(self.pool())
        .await
    }
}

impl Processor<FindAdminAccount> for DatabaseProcessor {
    type Output = Option<AdminAccountRow>;
    type Error = sqlx::Error;

    async fn process(&self, input: FindAdminAccount) -> Result<Self::Output, Self::Error> {
        sqlx::query_as!(
            AdminAccountRow,
            "SELECT id, name, role, email, avatar, created_at
             FROM manage.admin_account WHERE id = $1",
            input.id,
        )
        .fetch_optional(self.pool())
        .await
    }
}

impl Processor<AdminEmailTaken> for DatabaseProcessor {
    type Output = bool;
    type Error = sqlx::Error;

    async fn process(&self, input: AdminEmailTaken) -> Result<Self::Output, Self::Error> {
        sqlx::query_scalar!(
            r#"SELECT EXISTS (
                   SELECT 1 FROM manage.admin_account WHERE lower(email) = lower($1)
               ) AS "taken!""#,
            input.email,
        )
        .fetch_one(self.pool())
        .await
    }
}

impl Processor<InsertAdminAccount> for DatabaseProcessor {
    type Output = AdminAccountRow;
    type Error = sqlx::Error;

    async fn process(&self, input: InsertAdminAccount) -> Result<Self::Output, Self::Error> {
        let mut transaction = self.pool().begin().await?;
        let row = insert_account(
            &mut transaction,
            NewAccount {
                id: input.id,
                name: &input.name,
                role: input.role,
                email: input.email.as_deref(),
                avatar: input.avatar.as_deref(),
            },
        )
        .await?;
        if let Some(credential) = &input.credential {
            admin_credential::replace(&mut transaction, row.id, credential).await?;
        }
        audit_log::append(&mut transaction, &input.audit).await?;
        transaction.commit().await?;
        Ok(row)
    }
}

impl Processor<DeleteAdminAccount> for DatabaseProcessor {
    type Output = bool;
    type Error = sqlx::Error;

    async fn process(&self, input: DeleteAdminAccount) -> Result<Self::Output, Self::Error> {
        let mut transaction = self.pool().begin().await?;
        let deleted = sqlx::query!("DELETE FROM manage.admin_account WHERE id = $1", input.id)
            .execute(&mut *transaction)
            .await?
            .rows_affected()
            == 1;
        if !deleted {
            return Ok(false);
        }

        let event = AdminAccountDeleted {
            id: input.id.to_string(),
            deleted_at: Some(timestamp(Utc::now())),
        };
        outbox::enqueue(&mut transaction, ADMIN_ACCOUNT_DELETED, &event).await?;
        audit_log::append(&mut transaction, &input.audit).await?;
        transaction.commit().await?;
        Ok(true)
    }
}

impl Processor<ChangeAdminAccountRole> for DatabaseProcessor {
    type Output = RoleChange;
    type Error = sqlx::Error;

    async fn process(&self, input: ChangeAdminAccountRole) -> Result<Self::Output, Self::Error> {
        let mut transaction = self.pool().begin().await?;
        let super_admins = sqlx::query_scalar!(
            "SELECT id FROM manage.admin_account WHERE role = 'super_admin'
             ORDER BY id FOR UPDATE",
        )
        .fetch_all(&mut *transaction)
        .await?;
        let current = sqlx::query_scalar!(
            "SELECT role FROM manage.admin_account WHERE id = $1 FOR UPDATE",
            input.id,
        )
        .fetch_optional(&mut *transaction)
        .await?;
        let Some(current) = current else {
            return Ok(RoleChange::NotFound);
        };
        if current == input.role {
            return Ok(RoleChange::Unchanged);
        }
        if current == "super_admin" && super_admins.len() <= 1 {
            return Ok(RoleChange::LastSuperAdmin);
        }

        let row = sqlx::query_as!(
            AdminAccountRow,
            "UPDATE manage.admin_account SET role = $2 WHERE id = $1
             RETURNING id, name, role, email, avatar, created_at",
            input.id,
            input.role,
        )
        .fetch_one(&mut *transaction)
        .await?;
        // What the role was is known only here, under the lock.
        let audit = NewAuditEntry {
            note: Some(format!("{current} -> {}", input.role)),
            ..input.audit
        };
        audit_log::append(&mut transaction, &audit).await?;
        transaction.commit().await?;
        Ok(RoleChange::Changed(row))
    }
}

/// The columns of a new account, borrowed from whichever write creates it.
pub(crate) struct NewAccount<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub role: &'a str,
    pub email: Option<&'a str>,
    pub avatar: Option<&'a str>,
}

/// Inserts an account and its `manage.admin_account.created` event on `connection`, inside the
/// caller's transaction: a direct creation and an accepted invitation both end here.
pub(crate) async fn insert_account(
    connection: &mut PgConnection,
    account: NewAccount<'_>,
) -> Result<AdminAccountRow, sqlx::Error> {
    let row = sqlx::query_as!(
        AdminAccountRow,
        "INSERT INTO manage.admin_account (id, name, role, email, avatar)
         VALUES ($1, $2, $3, $4, $5)
         RETURNING id, name, role, email, avatar, created_at",
        account.id,
        account.name,
        account.role,
        account.email,
        account.avatar,
    )
    .fetch_one(&mut *connection)
    .await?;

    let event = AdminAccountCreated {
        id: row.id.to_string(),
        name: row.name.clone(),
        role: row.role.clone(),
        email: row.email.clone(),
        created_at: Some(timestamp(row.created_at)),
    };
    outbox::enqueue(connection, ADMIN_ACCOUNT_CREATED, &event).await?;
    Ok(row)
}

fn timestamp(time: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: time.timestamp(),
        nanos: i32::try_from(time.timestamp_subsec_nanos()).unwrap_or(0),
    }
}
