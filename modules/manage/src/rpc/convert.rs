//! Between protobuf messages and the services' types.

use chrono::{DateTime, Utc};
use helium_auth::services::customer_admin::{
    CustomerBan, CustomerDetails, CustomerSession, CustomerStatus, CustomerSummary,
};
use helium_framework::error::ServiceError;
use helium_framework::grpc::timestamp;
use uuid::Uuid;

use crate::AdminRole;
use crate::pb;
use crate::services::admin_account::AdminAccount;
use crate::services::audit_log::AuditLogEntry;
use crate::services::credential::AdminIdentity;
use crate::services::invitation::AdminInvitation;

/// Page size when a request leaves it at 0, proto3's "not set".
pub const DEFAULT_PAGE_SIZE: u32 = 50;

pub fn page_size(requested: u32) -> u32 {
    if requested == 0 {
        DEFAULT_PAGE_SIZE
    } else {
        requested
    }
}

pub fn uuid(field: &str, value: &str) -> Result<Uuid, ServiceError> {
    Uuid::parse_str(value.trim())
        .map_err(|_| ServiceError::InvalidArgument(format!("{field} is not a valid id: {value:?}")))
}

pub fn role(value: i32) -> Result<AdminRole, ServiceError> {
    match pb::AdminRole::try_from(value) {
        Ok(pb::AdminRole::SuperAdmin) => Ok(AdminRole::SuperAdmin),
        Ok(pb::AdminRole::Moderator) => Ok(AdminRole::Moderator),
        Ok(pb::AdminRole::CustomerSupport) => Ok(AdminRole::CustomerSupport),
        Ok(pb::AdminRole::SupportBot) => Ok(AdminRole::SupportBot),
        Ok(pb::AdminRole::Unspecified) | Err(_) => Err(ServiceError::InvalidArgument(
            "role must be one of super admin, moderator, customer support, support bot".into(),
        )),
    }
}

/// A search's status filter: unspecified means any status.
pub fn customer_status(value: i32) -> Result<Option<CustomerStatus>, ServiceError> {
    match pb::CustomerStatus::try_from(value) {
        Ok(pb::CustomerStatus::Unspecified) => Ok(None),
        Ok(pb::CustomerStatus::Active) => Ok(Some(CustomerStatus::Active)),
        Ok(pb::CustomerStatus::Banned) => Ok(Some(CustomerStatus::Banned)),
        Err(_) => Err(ServiceError::InvalidArgument(
            "status must be active, banned or left unspecified".into(),
        )),
    }
}

fn customer_status_to_pb(status: CustomerStatus) -> pb::CustomerStatus {
    match status {
        CustomerStatus::Active => pb::CustomerStatus::Active,
        CustomerStatus::Banned => pb::CustomerStatus::Banned,
    }
}

fn role_to_pb(role: AdminRole) -> pb::AdminRole {
    match role {
        AdminRole::SuperAdmin => pb::AdminRole::SuperAdmin,
        AdminRole::Moderator => pb::AdminRole::Moderator,
        AdminRole::CustomerSupport => pb::AdminRole::CustomerSupport,
        AdminRole::SupportBot => pb::AdminRole::SupportBot,
    }
}

/// The sign-in identity of `SignInRequest` and `RotateCredentialRequest`, which share the
/// shape but not the generated type.
pub fn identity(
    admin_id: Option<&str>,
    email: Option<&str>,
) -> Result<AdminIdentity, ServiceError> {
    match (admin_id, email) {
        (Some(admin_id), _) => Ok(AdminIdentity::Id(uuid("admin_id", admin_id)?)),
        (None, Some(email)) if !email.trim().is_empty() => {
            Ok(AdminIdentity::Email(email.to_owned()))
        }
        _ => Err(ServiceError::InvalidArgument(
            "say who is signing in: set admin_id or email".into(),
        )),
    }
}

/// A required text field, refused when empty.
pub fn required(field: &str, value: String) -> Result<String, ServiceError> {
    if value.trim().is_empty() {
        return Err(ServiceError::InvalidArgument(format!(
            "{field} is required"
        )));
    }
    Ok(value)
}

pub fn time(value: Option<prost_types::Timestamp>) -> Result<Option<DateTime<Utc>>, ServiceError> {
    value
        .map(|value| {
            let nanos = u32::try_from(value.nanos).unwrap_or(0);
            DateTime::from_timestamp(value.seconds, nanos)
                .ok_or_else(|| ServiceError::InvalidArgument("a timestamp is out of range".into()))
        })
        .transpose()
}

impl From<AdminAccount> for pb::Admin {
    fn from(account: AdminAccount) -> Self {
        Self {
            id: account.id.to_string(),
            name: account.name,
            role: role_to_pb(account.role).into(),
            email: account.email,
            avatar: account.avatar,
            created_at: Some(timestamp(account.created_at)),
        }
    }
}

impl From<AdminInvitation> for pb::AdminInvitation {
    fn from(invitation: AdminInvitation) -> Self {
        Self {
            id: invitation.id.to_string(),
            email: invitation.email,
            role: role_to_pb(invitation.role).into(),
            invited_by: invitation.invited_by.to_string(),
            created_at: Some(timestamp(invitation.created_at)),
            expires_at: Some(timestamp(invitation.expires_at)),
        }
    }
}

impl From<AuditLogEntry> for pb::AuditLogEntry {
    fn from(entry: AuditLogEntry) -> Self {
        Self {
            id: entry.id.to_string(),
            actor_id: entry.actor_id.map(|id| id.to_string()),
            action: entry.action,
            target: entry.target,
            source_address: entry.source_address,
            peer_address: entry.peer_address,
            created_at: Some(timestamp(entry.created_at)),
            note: entry.note,
        }
    }
}

impl From<CustomerSummary> for pb::CustomerSummary {
    fn from(customer: CustomerSummary) -> Self {
        Self {
            id: customer.id.to_string(),
            email: customer.email,
            status: customer_status_to_pb(customer.status).into(),
            banned_at: customer.banned_at.map(timestamp),
            created_at: Some(timestamp(customer.created_at)),
        }
    }
}

impl From<CustomerDetails> for pb::Customer {
    fn from(customer: CustomerDetails) -> Self {
        Self {
            id: customer.id.to_string(),
            email: customer.email,
            created_at: Some(timestamp(customer.created_at)),
            ban: customer.ban.map(pb::CustomerBan::from),
            has_password: customer.has_password,
            mfa_enabled: customer.mfa_enabled,
            sessions: customer
                .sessions
                .into_iter()
                .map(pb::CustomerSession::from)
                .collect(),
        }
    }
}

impl From<CustomerBan> for pb::CustomerBan {
    fn from(ban: CustomerBan) -> Self {
        Self {
            reason: ban.reason,
            banned_at: Some(timestamp(ban.banned_at)),
        }
    }
}

impl From<CustomerSession> for pb::CustomerSession {
    fn from(session: CustomerSession) -> Self {
        Self {
            id: session.id.to_string(),
            device: session.device,
            ip_address: session.ip_address,
            created_at: Some(timestamp(session.created_at)),
            last_used_at: Some(timestamp(session.last_used_at)),
            expires_at: Some(timestamp(session.expires_at)),
        }
    }
}
