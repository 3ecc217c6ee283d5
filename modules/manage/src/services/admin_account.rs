//! Admin account use cases, shared by `helium-cli` and (later) the admin gRPC API.

use chrono::{DateTime, Utc};
use helium_framework::error::ServiceError;
use helium_framework::processor::{DatabaseProcessor, Processor};
use uuid::Uuid;

use crate::AdminRole;
use crate::entities::db::admin_account::{
    AdminAccountRow, AdminEmailTaken, DeleteAdminAccount, FindAdminAccount, InsertAdminAccount,
    ListAdminAccounts,
};

/// The most accounts one page may hold, so a careless caller cannot ask for the whole table.
pub const MAX_PAGE_SIZE: u32 = 1000;
/// The longest display name accepted, matching the table's check constraint.
const MAX_NAME_CHARS: usize = 100;

/// An admin account as the rest of Helium sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdminAccount {
    pub id: Uuid,
    pub name: String,
    pub role: AdminRole,
    pub email: Option<String>,
    pub avatar: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub struct ListAdminsRequest {
    pub limit: u32,
    pub offset: u32,
}

pub struct GetAdminRequest {
    pub id: Uuid,
}

pub struct CreateAdminRequest {
    pub name: String,
    pub role: AdminRole,
    pub email: Option<String>,
    pub avatar: Option<String>,
}

pub struct DeleteAdminRequest {
    pub id: Uuid,
}

/// Admin account operations.
#[derive(Clone)]
pub struct AdminAccountService {
    db: DatabaseProcessor,
}

impl AdminAccountService {
    pub fn new(db: DatabaseProcessor) -> Self {
        Self { db }
    }
}

impl Processor<ListAdminsRequest> for AdminAccountService {
    type Output = Vec<AdminAccount>;
    type Error = ServiceError;

    async fn process(&self, input: ListAdminsRequest) -> Result<Self::Output, Self::Error> {
        if input.limit == 0 || input.limit > MAX_PAGE_SIZE {
            return Err(ServiceError::InvalidArgument(format!(
                "limit must be between 1 and {MAX_PAGE_SIZE}"
            )));
        }
        let rows = self
            .db
            .process(ListAdminAccounts {
                limit: i64::from(input.limit),
                offset: i64::from(input.offset),
            })
            .await?;
        rows.into_iter().map(AdminAccount::try_from).collect()
    }
}

impl Processor<GetAdminRequest> for AdminAccountService {
    type Output = AdminAccount;
    type Error = ServiceError;

    async fn process(&self, input: GetAdminRequest) -> Result<Self::Output, Self::Error> {
        let row = self.db.process(FindAdminAccount { id: input.id }).await?;
        let row = row.ok_or_else(|| not_found(input.id))?;
        AdminAccount::try_from(row)
    }
}

impl Processor<CreateAdminRequest> for AdminAccountService {
    type Output = AdminAccount;
    type Error = ServiceError;

    async fn process(&self, input: CreateAdminRequest) -> Result<Self::Output, Self::Error> {
        let name = input.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
            return Err(ServiceError::InvalidArgument(format!(
                "name must be between 1 and {MAX_NAME_CHARS} characters"
            )));
        }
        let email = input.email.map(|email| email.trim().to_owned());
        if let Some(email) = &email {
            helium_framework::config::validate::email("email", email)
                .map_err(|error| ServiceError::InvalidArgument(error.to_string()))?;
            if self
                .db
                .process(AdminEmailTaken {
                    email: email.clone(),
                })
                .await?
            {
                return Err(ServiceError::AlreadyExists(format!(
                    "an admin account with email {email} already exists"
                )));
            }
        }
        let avatar = input.avatar.map(|avatar| avatar.trim().to_owned());
        if let Some(avatar) = &avatar {
            helium_framework::config::validate::http_url("avatar", avatar)
                .map_err(|error| ServiceError::InvalidArgument(error.to_string()))?;
        }

        let insert = InsertAdminAccount {
            id: Uuid::now_v7(),
            name,
            role: input.role.as_db(),
            email: email.clone(),
            avatar,
        };
        let row = self.db.process(insert).await.map_err(|error| {
            // Two creations racing past the check above meet the unique index here.
            if is_unique_violation(&error) {
                ServiceError::AlreadyExists(format!(
                    "an admin account with email {} already exists",
                    email.as_deref().unwrap_or_default()
                ))
            } else {
                ServiceError::from(error)
            }
        })?;
        tracing::info!(admin_id = %row.id, role = %input.role, "admin account created");
        AdminAccount::try_from(row)
    }
}

impl Processor<DeleteAdminRequest> for AdminAccountService {
    type Output = ();
    type Error = ServiceError;

    async fn process(&self, input: DeleteAdminRequest) -> Result<Self::Output, Self::Error> {
        if !self.db.process(DeleteAdminAccount { id: input.id }).await? {
            return Err(not_found(input.id));
        }
        tracing::info!(admin_id = %input.id, "admin account deleted");
        Ok(())
    }
}

fn not_found(id: Uuid) -> ServiceError {
    ServiceError::NotFound(format!("Admin account not found: {id}"))
}

fn is_unique_violation(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .is_some_and(|error| error.is_unique_violation())
}

impl TryFrom<AdminAccountRow> for AdminAccount {
    type Error = ServiceError;

    fn try_from(row: AdminAccountRow) -> Result<Self, Self::Error> {
        // The table's check constraint makes an unknown role a broken database, not bad input.
        let role = AdminRole::from_db(&row.role)
            .ok_or_else(|| ServiceError::internal(anyhow_role(&row.role)))?;
        Ok(Self {
            id: row.id,
            name: row.name,
            role,
            email: row.email,
            avatar: row.avatar,
            created_at: row.created_at,
        })
    }
}

fn anyhow_role(role: &str) -> std::io::Error {
    std::io::Error::other(format!("unknown admin role {role:?} stored"))
}
