//! Admin account use cases, shared by `helium-cli` and the admin gRPC API.
//!
//! Every request carries a [`Grant`] for its action: the API gets one from the caller's
//! session, `helium-cli` from [`Grant::unchecked_for_operator`]. Every change writes its audit
//! row in its own transaction.

use chrono::{DateTime, Utc};
use helium_framework::error::ServiceError;
use helium_framework::processor::{DatabaseProcessor, Processor};
use uuid::Uuid;

use crate::AdminRole;
use crate::entities::db::admin_account::{
    AdminAccountRow, AdminEmailTaken, ChangeAdminAccountRole, DeleteAdminAccount, FindAdminAccount,
    InsertAdminAccount, ListAdminAccounts, RoleChange,
};
use crate::entities::db::admin_credential::{IssueAdminCredential, NewCredential};
use crate::services::access::{Actor, Grant, permission};
use crate::services::secret::Secret;

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
    pub grant: Grant<permission::ViewAdmins>,
    pub limit: u32,
    pub offset: u32,
}

pub struct GetAdminRequest {
    pub grant: Grant<permission::ViewAdmins>,
    pub id: Uuid,
}

pub struct CreateAdminRequest {
    pub grant: Grant<permission::CreateAdmin>,
    pub name: String,
    pub role: AdminRole,
    pub email: Option<String>,
    pub avatar: Option<String>,
    /// Whether to issue the account's first credential along with it. The API does, since its
    /// caller has no other way to; `helium-cli` leaves it to `admin credential`.
    pub with_credential: bool,
}

/// A new account, and its credential when one was asked for (shown this once).
#[derive(Debug)]
pub struct CreatedAdmin {
    pub account: AdminAccount,
    pub credential: Option<Secret>,
}

pub struct DeleteAdminRequest {
    pub grant: Grant<permission::DeleteAdmin>,
    pub id: Uuid,
}

/// Gives another admin a different role. Their sessions carry on: every call is checked
/// against the role stored now, so the change applies from their next call.
pub struct ChangeAdminRoleRequest {
    pub grant: Grant<permission::ChangeAdminRole>,
    pub id: Uuid,
    pub role: AdminRole,
}

/// Gives an admin a new credential, replacing the current one; what
/// `helium-cli admin credential` does for a first sign-in or a lost credential.
pub struct IssueCredentialRequest {
    pub grant: Grant<permission::IssueCredential>,
    pub admin_id: Uuid,
}

/// The account and its new credential, shown this once.
#[derive(Debug)]
pub struct IssuedCredential {
    pub admin: AdminAccount,
    pub credential: Secret,
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
        let row = row.ok_or_else(|| admin_not_found(input.id))?;
        AdminAccount::try_from(row)
    }
}

impl Processor<CreateAdminRequest> for AdminAccountService {
    type Output = CreatedAdmin;
    type Error = ServiceError;

    async fn process(&self, input: CreateAdminRequest) -> Result<Self::Output, Self::Error> {
        let name = admin_name(&input.name)?;
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
                return Err(email_taken(email));
            }
        }
        let avatar = input.avatar.map(|avatar| avatar.trim().to_owned());
        if let Some(avatar) = &avatar {
            helium_framework::config::validate::http_url("avatar", avatar)
                .map_err(|error| ServiceError::InvalidArgument(error.to_string()))?;
        }

        let id = Uuid::now_v7();
        let credential = input.with_credential.then(Secret::generate);
        let insert = InsertAdminAccount {
            id,
            name,
            role: input.role.as_db(),
            email: email.clone(),
            avatar,
            credential: credential.as_ref().map(|credential| NewCredential {
                credential_id: Uuid::now_v7(),
                secret_hash: credential.hash(),
            }),
            audit: input.grant.audit("admin.create", admin_target(id)),
        };
        let row = self.db.process(insert).await.map_err(|error| {
            // Two creations racing past the check above meet the unique index here.
            if is_unique_violation(&error) {
                email_taken(email.as_deref().unwrap_or_default())
            } else {
                ServiceError::from(error)
            }
        })?;
        tracing::info!(admin_id = %row.id, role = %input.role, "admin account created");
        Ok(CreatedAdmin {
            account: AdminAccount::try_from(row)?,
            credential,
        })
    }
}

impl Processor<DeleteAdminRequest> for AdminAccountService {
    type Output = ();
    type Error = ServiceError;

    async fn process(&self, input: DeleteAdminRequest) -> Result<Self::Output, Self::Error> {
        // Deleting oneself is refused so that the last super admin cannot lock everyone out by
        // a slip; an operator can still do it with helium-cli.
        if input.grant.actor() == Actor::Admin(input.id) {
            return Err(ServiceError::FailedPrecondition(
                "you cannot delete your own admin account; ask another super admin".into(),
            ));
        }

        let delete = DeleteAdminAccount {
            id: input.id,
            audit: input.grant.audit("admin.delete", admin_target(input.id)),
        };
        if !self.db.process(delete).await? {
            return Err(admin_not_found(input.id));
        }
        tracing::info!(admin_id = %input.id, "admin account deleted");
        Ok(())
    }
}

impl Processor<ChangeAdminRoleRequest> for AdminAccountService {
    type Output = AdminAccount;
    type Error = ServiceError;

    async fn process(&self, input: ChangeAdminRoleRequest) -> Result<Self::Output, Self::Error> {
        // Nobody raises or lowers their own rights: a super admin demoting themselves by a slip
        // could be the last one, and anyone else could not pass the permission check anyway.
        if input.grant.actor() == Actor::Admin(input.id) {
            return Err(ServiceError::FailedPrecondition(
                "you cannot change your own role; ask another super admin".into(),
            ));
        }

        let change = ChangeAdminAccountRole {
            id: input.id,
            role: input.role.as_db(),
            audit: input
                .grant
                .audit("admin.role.change", admin_target(input.id)),
        };
        match self.db.process(change).await? {
            RoleChange::Changed(row) => {
                tracing::info!(admin_id = %row.id, role = %input.role, "admin role changed");
                AdminAccount::try_from(row)
            }
            RoleChange::NotFound => Err(admin_not_found(input.id)),
            RoleChange::Unchanged => Err(ServiceError::FailedPrecondition(format!(
                "admin {} already has the {} role",
                input.id, input.role
            ))),
            RoleChange::LastSuperAdmin => Err(ServiceError::FailedPrecondition(
                "this is the last super admin; make another admin a super admin first".into(),
            )),
        }
    }
}

impl Processor<IssueCredentialRequest> for AdminAccountService {
    type Output = IssuedCredential;
    type Error = ServiceError;

    async fn process(&self, input: IssueCredentialRequest) -> Result<Self::Output, Self::Error> {
        let credential = Secret::generate();
        let issue = IssueAdminCredential {
            admin_id: input.admin_id,
            credential: NewCredential {
                credential_id: Uuid::now_v7(),
                secret_hash: credential.hash(),
            },
            audit: input
                .grant
                .audit("admin.credential.issue", admin_target(input.admin_id)),
        };
        let admin = self.db.process(issue).await?;
        let admin = admin.ok_or_else(|| admin_not_found(input.admin_id))?;

        tracing::info!(admin_id = %admin.id, "admin credential issued");
        Ok(IssuedCredential {
            admin: AdminAccount::try_from(admin)?,
            credential,
        })
    }
}

/// How the audit log names an admin account: `admin:<id>`.
pub(crate) fn admin_target(id: Uuid) -> String {
    format!("admin:{id}")
}

pub(crate) fn admin_not_found(id: Uuid) -> ServiceError {
    ServiceError::NotFound(format!("Admin account not found: {id}"))
}

pub(crate) fn email_taken(email: &str) -> ServiceError {
    ServiceError::AlreadyExists(format!(
        "an admin account with email {email} already exists"
    ))
}

/// A display name, trimmed, of 1 to 100 characters as the table's check constraint demands.
pub(crate) fn admin_name(name: &str) -> Result<String, ServiceError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(ServiceError::InvalidArgument(format!(
            "name must be between 1 and {MAX_NAME_CHARS} characters"
        )));
    }
    Ok(name.to_owned())
}

pub(crate) fn is_unique_violation(error: &sqlx::Error) -> bool {
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
