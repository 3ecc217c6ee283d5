//! `manage.admin_account`.

use chrono::{DateTime, Utc};
use helium_framework::outbox;
use helium_framework::processor::{DatabaseProcessor, Processor};
use uuid::Uuid;

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

/// Inserts an account and its `manage.admin_account.created` event in one transaction.
pub struct InsertAdminAccount {
    pub id: Uuid,
    pub name: String,
    pub role: &'static str,
    pub email: Option<String>,
    pub avatar: Option<String>,
}

/// Deletes an account and records `manage.admin_account.deleted` in one transaction.
/// Returns whether a row was deleted.
pub struct DeleteAdminAccount {
    pub id: Uuid,
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
        let row = sqlx::query_as!(
            AdminAccountRow,
            "INSERT INTO manage.admin_account (id, name, role, email, avatar)
             VALUES ($1, $2, $3, $4, $5)
             RETURNING id, name, role, email, avatar, created_at",
            input.id,
            input.name,
            input.role,
            input.email,
            input.avatar,
        )
        .fetch_one(&mut *transaction)
        .await?;

        let event = AdminAccountCreated {
            id: row.id.to_string(),
            name: row.name.clone(),
            role: row.role.clone(),
            email: row.email.clone(),
            created_at: Some(timestamp(row.created_at)),
        };
        outbox::enqueue(&mut transaction, ADMIN_ACCOUNT_CREATED, &event).await?;
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
        if deleted {
            let event = AdminAccountDeleted {
                id: input.id.to_string(),
                deleted_at: Some(timestamp(Utc::now())),
            };
            outbox::enqueue(&mut transaction, ADMIN_ACCOUNT_DELETED, &event).await?;
        }
        transaction.commit().await?;
        Ok(deleted)
    }
}

fn timestamp(time: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: time.timestamp(),
        nanos: i32::try_from(time.timestamp_subsec_nanos()).unwrap_or(0),
    }
}
