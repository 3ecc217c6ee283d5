//! `AdminAuthService`: signing in, rotating one's credential and accepting an invitation.
//! None of these takes an access token; the credential or invitation token is the proof.

use helium_framework::grpc::timestamp;
use helium_framework::processor::Processor;
use tonic::{Request, Response, Status};

use super::{convert, origin};
use crate::pb;
use crate::pb::admin_auth_service_server::AdminAuthService;
use crate::services::credential::{CredentialService, RotateCredentialRequest, SignInRequest};
use crate::services::invitation::{AcceptInvitationRequest, InvitationService};
use crate::services::secret::Secret;

pub struct AdminAuthRpc {
    credentials: CredentialService,
    invitations: InvitationService,
}

impl AdminAuthRpc {
    pub fn new(credentials: CredentialService, invitations: InvitationService) -> Self {
        Self {
            credentials,
            invitations,
        }
    }
}

#[tonic::async_trait]
impl AdminAuthService for AdminAuthRpc {
    async fn sign_in(
        &self,
        request: Request<pb::SignInRequest>,
    ) -> Result<Response<pb::SignInResponse>, Status> {
        let origin = origin(&request);
        let input = request.into_inner();
        let (admin_id, email) = match &input.identity {
            Some(pb::sign_in_request::Identity::AdminId(id)) => (Some(id.as_str()), None),
            Some(pb::sign_in_request::Identity::Email(email)) => (None, Some(email.as_str())),
            None => (None, None),
        };
        let identity = convert::identity(admin_id, email)?;
        let credential = convert::required("credential", input.credential)?;

        let signed_in = self
            .credentials
            .process(SignInRequest {
                identity,
                credential: Secret::from(credential),
                origin,
            })
            .await?;

        Ok(Response::new(pb::SignInResponse {
            access_token: signed_in.access.token.expose().to_owned(),
            expires_at: Some(timestamp(signed_in.access.expires_at)),
            admin: Some(signed_in.admin.into()),
        }))
    }

    async fn rotate_credential(
        &self,
        request: Request<pb::RotateCredentialRequest>,
    ) -> Result<Response<pb::RotateCredentialResponse>, Status> {
        let origin = origin(&request);
        let input = request.into_inner();
        let (admin_id, email) = match &input.identity {
            Some(pb::rotate_credential_request::Identity::AdminId(id)) => (Some(id.as_str()), None),
            Some(pb::rotate_credential_request::Identity::Email(email)) => {
                (None, Some(email.as_str()))
            }
            None => (None, None),
        };
        let identity = convert::identity(admin_id, email)?;
        let credential = convert::required("credential", input.credential)?;

        let rotated = self
            .credentials
            .process(RotateCredentialRequest {
                identity,
                credential: Secret::from(credential),
                origin,
            })
            .await?;

        Ok(Response::new(pb::RotateCredentialResponse {
            credential: rotated.credential.expose().to_owned(),
            access_token: rotated.access.token.expose().to_owned(),
            expires_at: Some(timestamp(rotated.access.expires_at)),
        }))
    }

    async fn accept_admin_invitation(
        &self,
        request: Request<pb::AcceptAdminInvitationRequest>,
    ) -> Result<Response<pb::AcceptAdminInvitationResponse>, Status> {
        let origin = origin(&request);
        let input = request.into_inner();
        let token = convert::required("token", input.token)?;

        let accepted = self
            .invitations
            .process(AcceptInvitationRequest {
                token: Secret::from(token),
                name: input.name,
                origin,
            })
            .await?;

        Ok(Response::new(pb::AcceptAdminInvitationResponse {
            admin: Some(accepted.admin.into()),
            credential: accepted.credential.expose().to_owned(),
            access_token: accepted.access.token.expose().to_owned(),
            expires_at: Some(timestamp(accepted.access.expires_at)),
        }))
    }
}
