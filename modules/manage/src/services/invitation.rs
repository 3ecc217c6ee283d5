//! Inviting admins: a super admin sends an invitation by e-mail, the invitee accepts it once,
//! within [`INVITATION_LIFETIME`], and receives their account and first credential.

use chrono::{DateTime, Duration, Utc};
use helium_framework::error::ServiceError;
use helium_framework::processor::{DatabaseProcessor, Processor};
use helium_mailer::{Branding, EmailTemplate, EnqueueError, OneTimeLink};
use uuid::Uuid;

use crate::AdminRole;
use crate::entities::db::admin_account::{AdminEmailTaken, FindAdminAccount};
use crate::entities::db::admin_credential::NewCredential;
use crate::entities::db::admin_invitation::{
    AcceptAdminInvitation, AdminInvitationRow, FindAdminInvitation, InsertAdminInvitation,
    ListPendingInvitations, Revocation, RevokeAdminInvitation,
};
use crate::entities::db::audit_log::NewAuditEntry;
use crate::services::access::{Actor, Grant, Origin, permission};
use crate::services::admin_account::{
    AdminAccount, MAX_PAGE_SIZE, admin_name, email_taken, is_unique_violation,
};
use crate::services::secret::Secret;
use crate::services::token::{AccessToken, AdminTokens};

/// How long an invitation can be accepted: long enough to span a weekend.
pub const INVITATION_LIFETIME: Duration = Duration::hours(72);
/// The longest product name accepted for the e-mail.
const MAX_PRODUCT_NAME_CHARS: usize = 100;

pub struct CreateInvitationRequest {
    pub grant: Grant<permission::InviteAdmin>,
    pub email: String,
    pub role: AdminRole,
    /// The admin panel's page that accepts invitations; the token is added as `?token=`.
    pub accept_url_base: String,
    /// The service's name as the e-mail should call it.
    pub product_name: String,
}

/// An invitation as the inviter sees it: everything but the token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdminInvitation {
    pub id: Uuid,
    pub email: String,
    pub role: AdminRole,
    pub invited_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

pub struct AcceptInvitationRequest {
    pub token: Secret,
    pub name: String,
    pub origin: Origin,
}

/// Lists the invitations that can still be accepted, newest first.
pub struct ListInvitationsRequest {
    pub grant: Grant<permission::ViewInvitations>,
    pub limit: u32,
    pub offset: u32,
}

/// Withdraws an invitation before it is accepted.
pub struct RevokeInvitationRequest {
    pub grant: Grant<permission::RevokeInvitation>,
    pub id: Uuid,
}

#[derive(Debug)]
pub struct AcceptedInvitation {
    pub admin: AdminAccount,
    pub credential: Secret,
    pub access: AccessToken,
}

/// Invitation operations.
#[derive(Clone)]
pub struct InvitationService {
    db: DatabaseProcessor,
    tokens: AdminTokens,
}

impl InvitationService {
    pub fn new(db: DatabaseProcessor, tokens: AdminTokens) -> Self {
        Self { db, tokens }
    }
}

impl Processor<CreateInvitationRequest> for InvitationService {
    type Output = AdminInvitation;
    type Error = ServiceError;

    async fn process(&self, input: CreateInvitationRequest) -> Result<Self::Output, Self::Error> {
        // Only an admin can be named as the inviter; the operator's console has no identity.
        let Actor::Admin(inviter_id) = input.grant.actor() else {
            return Err(ServiceError::FailedPrecondition(
                "invitations are sent by a signed-in super admin".into(),
            ));
        };
        let email = input.email.trim().to_owned();
        helium_framework::config::validate::email("email", &email)
            .map_err(|error| ServiceError::InvalidArgument(error.to_string()))?;
        let product_name = input.product_name.trim().to_owned();
        if product_name.is_empty() || product_name.chars().count() > MAX_PRODUCT_NAME_CHARS {
            return Err(ServiceError::InvalidArgument(format!(
                "product_name must be between 1 and {MAX_PRODUCT_NAME_CHARS} characters"
            )));
        }
        // An address that already has an account would only produce an invitation that fails
        // on acceptance; say so now.
        let taken = AdminEmailTaken {
            email: email.clone(),
        };
        if self.db.process(taken).await? {
            return Err(email_taken(&email));
        }

        let token = Secret::generate();
        let link = invitation_link(&input.accept_url_base, &token)?;
        let inviter = self.db.process(FindAdminAccount { id: inviter_id }).await?;
        let inviter = inviter.ok_or_else(|| {
            ServiceError::Unauthenticated("your admin account no longer exists".into())
        })?;
        let message = EmailTemplate::AdminInvitation {
            link,
            inviter_name: inviter.name,
            role_name: input.role.display_name().to_owned(),
            expires_in_minutes: lifetime_minutes(),
        }
        .render(&Branding {
            product_name,
            support_email: None,
        })
        .map_err(ServiceError::internal)?;

        let id = Uuid::now_v7();
        let insert = InsertAdminInvitation {
            id,
            email,
            role: input.role.as_db(),
            token_hash: token.hash(),
            invited_by: inviter_id,
            expires_at: Utc::now() + INVITATION_LIFETIME,
            message,
            audit: input
                .grant
                .audit("admin.invitation.create", invitation_target(id)),
        };
        let row = self.db.process(insert).await.map_err(|error| match error {
            EnqueueError::InvalidRecipient => {
                ServiceError::InvalidArgument("email: the address cannot receive e-mail".into())
            }
            EnqueueError::Database(error) => ServiceError::from(error),
        })?;
        tracing::info!(invitation_id = %row.id, role = %input.role, "admin invitation sent");
        AdminInvitation::try_from(row)
    }
}

impl Processor<AcceptInvitationRequest> for InvitationService {
    type Output = AcceptedInvitation;
    type Error = ServiceError;

    async fn process(&self, input: AcceptInvitationRequest) -> Result<Self::Output, Self::Error> {
        let name = admin_name(&input.name)?;
        let token_hash = input.token.hash();
        let find = FindAdminInvitation {
            token_hash: token_hash.clone(),
        };
        let invitation = self.db.process(find).await?;
        let invitation = match invitation {
            Some(invitation) if invitation_is_open(&invitation) => invitation,
            other => return Err(refusal(other)),
        };

        let admin_id = Uuid::now_v7();
        let credential = Secret::generate();
        let new_credential = NewCredential {
            credential_id: Uuid::now_v7(),
            secret_hash: credential.hash(),
        };
        // The new admin accepts, so the new admin is the actor.
        let audit = NewAuditEntry {
            id: Uuid::now_v7(),
            actor_id: Some(admin_id),
            action: "admin.invitation.accept",
            target: invitation_target(invitation.id),
            source_address: input.origin.source_address,
            peer_address: input.origin.peer_address,
            note: None,
        };
        let accept = AcceptAdminInvitation {
            token_hash: token_hash.clone(),
            admin_id,
            name,
            credential: new_credential.clone(),
            audit,
        };
        let accepted = self.db.process(accept).await.map_err(|error| {
            if is_unique_violation(&error) {
                email_taken(&invitation.email)
            } else {
                ServiceError::from(error)
            }
        })?;
        let Some(row) = accepted else {
            // Another acceptance won the race since the check above, or the invitation has
            // just expired; read it again to say which.
            let now = self.db.process(FindAdminInvitation { token_hash }).await?;
            return Err(refusal(now));
        };

        let admin = AdminAccount::try_from(row)?;
        let access = self
            .tokens
            .issue(&admin, new_credential.credential_id)
            .await?;
        tracing::info!(admin_id = %admin.id, invitation_id = %invitation.id, "invitation accepted");
        Ok(AcceptedInvitation {
            admin,
            credential,
            access,
        })
    }
}

impl Processor<ListInvitationsRequest> for InvitationService {
    type Output = Vec<AdminInvitation>;
    type Error = ServiceError;

    async fn process(&self, input: ListInvitationsRequest) -> Result<Self::Output, Self::Error> {
        if input.limit == 0 || input.limit > MAX_PAGE_SIZE {
            return Err(ServiceError::InvalidArgument(format!(
                "page_size must be between 1 and {MAX_PAGE_SIZE}"
            )));
        }
        let rows = self
            .db
            .process(ListPendingInvitations {
                limit: i64::from(input.limit),
                offset: i64::from(input.offset),
            })
            .await?;
        rows.into_iter().map(AdminInvitation::try_from).collect()
    }
}

impl Processor<RevokeInvitationRequest> for InvitationService {
    type Output = ();
    type Error = ServiceError;

    async fn process(&self, input: RevokeInvitationRequest) -> Result<Self::Output, Self::Error> {
        let revoke = RevokeAdminInvitation {
            id: input.id,
            audit: input
                .grant
                .audit("admin.invitation.revoke", invitation_target(input.id)),
        };
        match self.db.process(revoke).await? {
            Revocation::Revoked => {
                tracing::info!(invitation_id = %input.id, "admin invitation revoked");
                Ok(())
            }
            Revocation::NotFound => Err(ServiceError::NotFound(format!(
                "Invitation not found: {}",
                input.id
            ))),
            Revocation::Accepted => Err(ServiceError::FailedPrecondition(
                "this invitation has already been accepted; delete the admin account instead"
                    .into(),
            )),
            Revocation::AlreadyRevoked => Err(ServiceError::FailedPrecondition(
                "this invitation has already been revoked".into(),
            )),
        }
    }
}

fn invitation_is_open(invitation: &AdminInvitationRow) -> bool {
    invitation.accepted_at.is_none()
        && invitation.revoked_at.is_none()
        && invitation.expires_at > Utc::now()
}

/// Why an invitation that cannot be accepted is refused, each reason with its own status so a
/// frontend can tell the invitee what to do.
fn refusal(invitation: Option<AdminInvitationRow>) -> ServiceError {
    match invitation {
        None => ServiceError::NotFound(
            "no invitation matches this link; check that it was copied whole".into(),
        ),
        Some(invitation) if invitation.accepted_at.is_some() => ServiceError::AlreadyExists(
            "this invitation has already been accepted; sign in instead".into(),
        ),
        Some(invitation) if invitation.revoked_at.is_some() => ServiceError::FailedPrecondition(
            "this invitation was withdrawn; ask a super admin for a new one".into(),
        ),
        Some(invitation) => ServiceError::FailedPrecondition(format!(
            "this invitation expired at {}; ask a super admin for a new one",
            invitation.expires_at.to_rfc3339()
        )),
    }
}

/// `accept_url_base` with the token as its `token` query parameter.
fn invitation_link(accept_url_base: &str, token: &Secret) -> Result<OneTimeLink, ServiceError> {
    let invalid = || {
        ServiceError::InvalidArgument(
            "accept_url_base must be an absolute http or https URL".into(),
        )
    };
    let mut url = url::Url::parse(accept_url_base.trim()).map_err(|_| invalid())?;
    url.query_pairs_mut().append_pair("token", token.expose());
    OneTimeLink::parse(url.as_str()).map_err(|_| invalid())
}

fn lifetime_minutes() -> u32 {
    u32::try_from(INVITATION_LIFETIME.num_minutes()).unwrap_or(u32::MAX)
}

/// How the audit log names an invitation: `invitation:<id>`.
fn invitation_target(id: Uuid) -> String {
    format!("invitation:{id}")
}

impl TryFrom<AdminInvitationRow> for AdminInvitation {
    type Error = ServiceError;

    fn try_from(row: AdminInvitationRow) -> Result<Self, Self::Error> {
        let role = AdminRole::from_db(&row.role).ok_or_else(|| {
            ServiceError::internal(anyhow::anyhow!("unknown admin role {:?} stored", row.role))
        })?;
        Ok(Self {
            id: row.id,
            email: row.email,
            role,
            invited_by: row.invited_by,
            created_at: row.created_at,
            expires_at: row.expires_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_link_carries_the_token_as_a_query_parameter() {
        let token = Secret::from("abc-DEF_123".to_owned());

        let link = invitation_link("https://admin.example.com/accept?lang=en", &token).unwrap();

        assert_eq!(
            link.as_str(),
            "https://admin.example.com/accept?lang=en&token=abc-DEF_123"
        );
    }

    #[test]
    fn only_web_addresses_can_receive_the_token() {
        let token = Secret::generate();

        for bad in [
            "",
            "/accept",
            "javascript:alert(1)",
            "ftp://example.com/accept",
        ] {
            let refused = invitation_link(bad, &token);
            assert!(
                matches!(refused, Err(ServiceError::InvalidArgument(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn an_invitation_lasts_three_days() {
        assert_eq!(lifetime_minutes(), 72 * 60);
    }
}
