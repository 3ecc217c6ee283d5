//! `AdminService`: everything a signed-in admin does. Each handler authenticates the bearer
//! token, turns the session into the grant its service call needs, and calls it.

use helium_auth::services::customer_admin::{BanReason, CustomerFilter};
use helium_framework::processor::Processor;
use helium_framework::tokens::bearer_token;
use tonic::{Request, Response, Status};

use super::{convert, origin};
use crate::pb;
use crate::pb::admin_service_server::AdminService;
use crate::services::access::{Session, permission};
use crate::services::admin_account::{
    AdminAccountService, ChangeAdminRoleRequest, CreateAdminRequest, DeleteAdminRequest,
    ListAdminsRequest,
};
use crate::services::audit_log::{AuditLogFilter, AuditLogService, ListAuditLogRequest};
use crate::services::credential::{AuthenticateRequest, CredentialService};
use crate::services::customer::{
    BanCustomerRequest, CustomerService, EndCustomerSessionsRequest, GetCustomerRequest,
    RemoveCustomerMfaRequest, SearchCustomersRequest, SendCustomerPasswordResetRequest,
    UnbanCustomerRequest, VerificationNote,
};
use crate::services::invitation::{
    CreateInvitationRequest, InvitationService, ListInvitationsRequest, RevokeInvitationRequest,
};
use crate::services::secret::Secret;

pub struct AdminRpc {
    credentials: CredentialService,
    admins: AdminAccountService,
    invitations: InvitationService,
    audit_log: AuditLogService,
    customers: CustomerService,
}

impl AdminRpc {
    pub fn new(
        credentials: CredentialService,
        admins: AdminAccountService,
        invitations: InvitationService,
        audit_log: AuditLogService,
        customers: CustomerService,
    ) -> Self {
        Self {
            credentials,
            admins,
            invitations,
            audit_log,
            customers,
        }
    }

    /// The session of the request's bearer token, or UNAUTHENTICATED.
    async fn authenticate<T>(&self, request: &Request<T>) -> Result<Session, Status> {
        let token = bearer_token(request.metadata())?;
        let session = self
            .credentials
            .process(AuthenticateRequest {
                token: Secret::from(token.to_owned()),
                origin: origin(request),
            })
            .await?;
        Ok(session)
    }
}

#[tonic::async_trait]
impl AdminService for AdminRpc {
    async fn get_me(
        &self,
        request: Request<pb::GetMeRequest>,
    ) -> Result<Response<pb::GetMeResponse>, Status> {
        let session = self.authenticate(&request).await?;

        Ok(Response::new(pb::GetMeResponse {
            admin: Some(session.admin().clone().into()),
        }))
    }

    async fn list_admins(
        &self,
        request: Request<pb::ListAdminsRequest>,
    ) -> Result<Response<pb::ListAdminsResponse>, Status> {
        let grant = self
            .authenticate(&request)
            .await?
            .authorize::<permission::ViewAdmins>()?;
        let input = request.into_inner();

        let admins = self
            .admins
            .process(ListAdminsRequest {
                grant,
                limit: convert::page_size(input.page_size),
                offset: input.offset,
            })
            .await?;

        Ok(Response::new(pb::ListAdminsResponse {
            admins: admins.into_iter().map(pb::Admin::from).collect(),
        }))
    }

    async fn create_admin(
        &self,
        request: Request<pb::CreateAdminRequest>,
    ) -> Result<Response<pb::CreateAdminResponse>, Status> {
        let grant = self
            .authenticate(&request)
            .await?
            .authorize::<permission::CreateAdmin>()?;
        let input = request.into_inner();
        let role = convert::role(input.role)?;

        let created = self
            .admins
            .process(CreateAdminRequest {
                grant,
                name: input.name,
                role,
                email: input.email,
                avatar: input.avatar,
                with_credential: true,
            })
            .await?;

        Ok(Response::new(pb::CreateAdminResponse {
            admin: Some(created.account.into()),
            credential: created
                .credential
                .map(|credential| credential.expose().to_owned())
                .unwrap_or_default(),
        }))
    }

    async fn delete_admin(
        &self,
        request: Request<pb::DeleteAdminRequest>,
    ) -> Result<Response<pb::DeleteAdminResponse>, Status> {
        let grant = self
            .authenticate(&request)
            .await?
            .authorize::<permission::DeleteAdmin>()?;
        let id = convert::uuid("admin_id", &request.get_ref().admin_id)?;

        self.admins
            .process(DeleteAdminRequest { grant, id })
            .await?;

        Ok(Response::new(pb::DeleteAdminResponse {}))
    }

    async fn create_admin_invitation(
        &self,
        request: Request<pb::CreateAdminInvitationRequest>,
    ) -> Result<Response<pb::CreateAdminInvitationResponse>, Status> {
        let grant = self
            .authenticate(&request)
            .await?
            .authorize::<permission::InviteAdmin>()?;
        let input = request.into_inner();
        let role = convert::role(input.role)?;

        let invitation = self
            .invitations
            .process(CreateInvitationRequest {
                grant,
                email: input.email,
                role,
                accept_url_base: input.accept_url_base,
                product_name: input.product_name,
            })
            .await?;

        Ok(Response::new(pb::CreateAdminInvitationResponse {
            invitation: Some(invitation.into()),
        }))
    }

    async fn list_audit_log(
        &self,
        request: Request<pb::ListAuditLogRequest>,
    ) -> Result<Response<pb::ListAuditLogResponse>, Status> {
        let grant = self
            .authenticate(&request)
            .await?
            .authorize::<permission::ReadAuditLog>()?;
        let input = request.into_inner();
        let filter = AuditLogFilter {
            actor_id: input
                .actor_id
                .map(|id| convert::uuid("actor_id", &id))
                .transpose()?,
            action: input.action,
            target: input.target,
            since: convert::time(input.since)?,
            until: convert::time(input.until)?,
        };
        let cursor = match input.page_token.as_str() {
            "" => None,
            token => Some(convert::uuid("page_token", token)?),
        };

        let page = self
            .audit_log
            .process(ListAuditLogRequest {
                grant,
                filter,
                page_size: convert::page_size(input.page_size),
                cursor,
            })
            .await?;

        Ok(Response::new(pb::ListAuditLogResponse {
            entries: page
                .entries
                .into_iter()
                .map(pb::AuditLogEntry::from)
                .collect(),
            next_page_token: page
                .next_cursor
                .map(|cursor| cursor.to_string())
                .unwrap_or_default(),
        }))
    }

    async fn search_customers(
        &self,
        request: Request<pb::SearchCustomersRequest>,
    ) -> Result<Response<pb::SearchCustomersResponse>, Status> {
        let grant = self
            .authenticate(&request)
            .await?
            .authorize::<permission::ViewCustomers>()?;
        let input = request.into_inner();
        let filter = CustomerFilter {
            id: input
                .customer_id
                .map(|id| convert::uuid("customer_id", &id))
                .transpose()?,
            email_contains: input.email_contains,
            status: convert::customer_status(input.status)?,
        };
        let cursor = match input.page_token.as_str() {
            "" => None,
            token => Some(convert::uuid("page_token", token)?),
        };

        let page = self
            .customers
            .process(SearchCustomersRequest {
                grant,
                filter,
                page_size: convert::page_size(input.page_size),
                cursor,
            })
            .await?;

        Ok(Response::new(pb::SearchCustomersResponse {
            customers: page
                .customers
                .into_iter()
                .map(pb::CustomerSummary::from)
                .collect(),
            next_page_token: page
                .next_cursor
                .map(|cursor| cursor.to_string())
                .unwrap_or_default(),
        }))
    }

    async fn get_customer(
        &self,
        request: Request<pb::GetCustomerRequest>,
    ) -> Result<Response<pb::GetCustomerResponse>, Status> {
        let grant = self
            .authenticate(&request)
            .await?
            .authorize::<permission::ViewCustomers>()?;
        let id = convert::uuid("customer_id", &request.get_ref().customer_id)?;

        let customer = self
            .customers
            .process(GetCustomerRequest { grant, id })
            .await?;

        Ok(Response::new(pb::GetCustomerResponse {
            customer: Some(customer.into()),
        }))
    }

    async fn ban_customer(
        &self,
        request: Request<pb::BanCustomerRequest>,
    ) -> Result<Response<pb::BanCustomerResponse>, Status> {
        let grant = self
            .authenticate(&request)
            .await?
            .authorize::<permission::BanCustomer>()?;
        let input = request.get_ref();
        let id = convert::uuid("customer_id", &input.customer_id)?;
        let reason = BanReason::parse(&input.reason)?;

        let banned = self
            .customers
            .process(BanCustomerRequest { grant, id, reason })
            .await?;

        Ok(Response::new(pb::BanCustomerResponse {
            ban: Some(banned.ban.into()),
            sessions_ended: u32::try_from(banned.sessions_ended).unwrap_or(u32::MAX),
        }))
    }

    async fn unban_customer(
        &self,
        request: Request<pb::UnbanCustomerRequest>,
    ) -> Result<Response<pb::UnbanCustomerResponse>, Status> {
        let grant = self
            .authenticate(&request)
            .await?
            .authorize::<permission::UnbanCustomer>()?;
        let id = convert::uuid("customer_id", &request.get_ref().customer_id)?;

        self.customers
            .process(UnbanCustomerRequest { grant, id })
            .await?;

        Ok(Response::new(pb::UnbanCustomerResponse {}))
    }

    async fn remove_customer_mfa(
        &self,
        request: Request<pb::RemoveCustomerMfaRequest>,
    ) -> Result<Response<pb::RemoveCustomerMfaResponse>, Status> {
        let grant = self
            .authenticate(&request)
            .await?
            .authorize::<permission::RemoveCustomerMfa>()?;
        let input = request.get_ref();
        let id = convert::uuid("customer_id", &input.customer_id)?;
        let note = VerificationNote::parse(&input.verification_note)?;

        let removed = self
            .customers
            .process(RemoveCustomerMfaRequest { grant, id, note })
            .await?;

        Ok(Response::new(pb::RemoveCustomerMfaResponse {
            sessions_ended: u32::try_from(removed.sessions_ended).unwrap_or(u32::MAX),
        }))
    }

    async fn send_customer_password_reset(
        &self,
        request: Request<pb::SendCustomerPasswordResetRequest>,
    ) -> Result<Response<pb::SendCustomerPasswordResetResponse>, Status> {
        let grant = self
            .authenticate(&request)
            .await?
            .authorize::<permission::SendCustomerPasswordReset>()?;
        let input = request.get_ref();
        let id = convert::uuid("customer_id", &input.customer_id)?;
        let note = VerificationNote::parse(&input.verification_note)?;

        let send = SendCustomerPasswordResetRequest { grant, id, note };
        self.customers.process(send).await?;

        Ok(Response::new(pb::SendCustomerPasswordResetResponse {}))
    }

    async fn end_customer_sessions(
        &self,
        request: Request<pb::EndCustomerSessionsRequest>,
    ) -> Result<Response<pb::EndCustomerSessionsResponse>, Status> {
        let grant = self
            .authenticate(&request)
            .await?
            .authorize::<permission::EndCustomerSessions>()?;
        let input = request.get_ref();
        let id = convert::uuid("customer_id", &input.customer_id)?;
        let note = VerificationNote::parse(&input.verification_note)?;

        let end = EndCustomerSessionsRequest { grant, id, note };
        let sessions_ended = self.customers.process(end).await?;

        Ok(Response::new(pb::EndCustomerSessionsResponse {
            sessions_ended: u32::try_from(sessions_ended).unwrap_or(u32::MAX),
        }))
    }

    async fn change_admin_role(
        &self,
        request: Request<pb::ChangeAdminRoleRequest>,
    ) -> Result<Response<pb::ChangeAdminRoleResponse>, Status> {
        let grant = self
            .authenticate(&request)
            .await?
            .authorize::<permission::ChangeAdminRole>()?;
        let input = request.get_ref();
        let id = convert::uuid("admin_id", &input.admin_id)?;
        let role = convert::role(input.role)?;

        let admin = self
            .admins
            .process(ChangeAdminRoleRequest { grant, id, role })
            .await?;

        Ok(Response::new(pb::ChangeAdminRoleResponse {
            admin: Some(admin.into()),
        }))
    }

    async fn list_admin_invitations(
        &self,
        request: Request<pb::ListAdminInvitationsRequest>,
    ) -> Result<Response<pb::ListAdminInvitationsResponse>, Status> {
        let grant = self
            .authenticate(&request)
            .await?
            .authorize::<permission::ViewInvitations>()?;
        let input = request.into_inner();

        let invitations = self
            .invitations
            .process(ListInvitationsRequest {
                grant,
                limit: convert::page_size(input.page_size),
                offset: input.offset,
            })
            .await?;

        Ok(Response::new(pb::ListAdminInvitationsResponse {
            invitations: invitations
                .into_iter()
                .map(pb::AdminInvitation::from)
                .collect(),
        }))
    }

    async fn revoke_admin_invitation(
        &self,
        request: Request<pb::RevokeAdminInvitationRequest>,
    ) -> Result<Response<pb::RevokeAdminInvitationResponse>, Status> {
        let grant = self
            .authenticate(&request)
            .await?
            .authorize::<permission::RevokeInvitation>()?;
        let id = convert::uuid("invitation_id", &request.get_ref().invitation_id)?;

        self.invitations
            .process(RevokeInvitationRequest { grant, id })
            .await?;

        Ok(Response::new(pb::RevokeAdminInvitationResponse {}))
    }
}
