//! `helium.auth.v1.AccountService`: the signed-in customer's own account.

use helium_framework::error::ServiceError;
use helium_framework::grpc::{client_address, timestamp};
use helium_framework::processor::Processor;
use helium_framework::tokens::bearer_token;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::pb;
use crate::services::account::{AccountService, GetProfile};
use crate::services::account_security::{
    AccountSecurityService, ChangePassword, RegenerateRecoveryCodes, RequestEmailChange,
};
use crate::services::mfa::{BeginMfaEnrollment, ConfirmMfaEnrollment, DisableMfa, MfaService};
use crate::services::oauth::{
    BeginOAuth, CompleteLinkOAuth, FlowPurpose, ListLoginMethods, OAuthService, PASSWORD_METHOD,
    ReverifyWithOAuth, UnlinkLoginMethod,
};
use crate::services::reverification::{ReverificationService, Reverify};
use crate::services::session::{
    Authenticate, Caller, ListSessions, RevokeOtherSessions, RevokeSession, SessionService,
};

pub struct AccountApi {
    pub(super) sessions: SessionService,
    pub(super) accounts: AccountService,
    pub(super) mfa: MfaService,
    pub(super) reverification: ReverificationService,
    pub(super) account_security: AccountSecurityService,
    pub(super) oauth: OAuthService,
}

impl AccountApi {
    /// The caller behind the request's bearer token: the pass every call here needs.
    async fn caller<T>(&self, request: &Request<T>) -> Result<Caller, ServiceError> {
        let access_token = bearer_token(request.metadata())?.to_owned();
        self.sessions.process(Authenticate { access_token }).await
    }
}

#[tonic::async_trait]
impl pb::account_service_server::AccountService for AccountApi {
    async fn list_login_methods(
        &self,
        request: Request<pb::ListLoginMethodsRequest>,
    ) -> Result<Response<pb::ListLoginMethodsResponse>, Status> {
        let caller = self.caller(&request).await?;

        let listed = self.oauth.process(ListLoginMethods { caller }).await?;
        let password = listed.has_password.then(|| pb::LoginMethod {
            method: PASSWORD_METHOD.to_owned(),
            email: None,
            linked_at: None,
        });
        let providers = listed
            .identities
            .into_iter()
            .map(|identity| pb::LoginMethod {
                method: identity.provider,
                email: identity.email,
                linked_at: Some(timestamp(identity.linked_at)),
            });
        let methods = password.into_iter().chain(providers).collect();
        Ok(Response::new(pb::ListLoginMethodsResponse { methods }))
    }

    async fn begin_link_o_auth(
        &self,
        request: Request<pb::BeginLinkOAuthRequest>,
    ) -> Result<Response<pb::BeginLinkOAuthResponse>, Status> {
        let caller = self.caller(&request).await?;
        let input = BeginOAuth {
            ip_address: client_address(&request),
            provider: request.into_inner().provider,
            purpose: FlowPurpose::Link(caller),
        };

        let redirect = self.oauth.process(input).await?;
        Ok(Response::new(pb::BeginLinkOAuthResponse {
            authorization_url: redirect.authorization_url,
            state: redirect.state,
        }))
    }

    async fn complete_link_o_auth(
        &self,
        request: Request<pb::CompleteLinkOAuthRequest>,
    ) -> Result<Response<pb::CompleteLinkOAuthResponse>, Status> {
        let caller = self.caller(&request).await?;
        let request = request.into_inner();
        let input = CompleteLinkOAuth {
            caller,
            state: request.state,
            code: request.code,
        };

        let provider = self.oauth.process(input).await?;
        Ok(Response::new(pb::CompleteLinkOAuthResponse {
            provider: provider.name().to_owned(),
        }))
    }

    async fn unlink_login_method(
        &self,
        request: Request<pb::UnlinkLoginMethodRequest>,
    ) -> Result<Response<pb::UnlinkLoginMethodResponse>, Status> {
        let caller = self.caller(&request).await?;
        let request = request.into_inner();
        let input = UnlinkLoginMethod {
            caller,
            method: request.method,
            reverification_token: request.reverification_token,
        };

        self.oauth.process(input).await?;
        Ok(Response::new(pb::UnlinkLoginMethodResponse {}))
    }

    async fn get_profile(
        &self,
        request: Request<pb::GetProfileRequest>,
    ) -> Result<Response<pb::GetProfileResponse>, Status> {
        let caller = self.caller(&request).await?;

        let profile = self.accounts.process(GetProfile { caller }).await?;
        Ok(Response::new(pb::GetProfileResponse {
            user_id: profile.id.to_string(),
            email: profile.email,
            created_at: Some(timestamp(profile.created_at)),
            referral_code: profile.referral_code,
            mfa_enabled: profile.mfa_enabled,
        }))
    }

    async fn list_sessions(
        &self,
        request: Request<pb::ListSessionsRequest>,
    ) -> Result<Response<pb::ListSessionsResponse>, Status> {
        let caller = self.caller(&request).await?;

        let sessions = self.sessions.process(ListSessions { caller }).await?;
        let sessions = sessions
            .into_iter()
            .map(|session| pb::Session {
                id: session.id.to_string(),
                device: session.device,
                ip_address: session.ip_address,
                created_at: Some(timestamp(session.created_at)),
                last_used_at: Some(timestamp(session.last_used_at)),
                current: session.id == caller.session_id,
            })
            .collect();
        Ok(Response::new(pb::ListSessionsResponse { sessions }))
    }

    async fn revoke_session(
        &self,
        request: Request<pb::RevokeSessionRequest>,
    ) -> Result<Response<pb::RevokeSessionResponse>, Status> {
        let caller = self.caller(&request).await?;
        let session_id: Uuid = request
            .into_inner()
            .session_id
            .parse()
            .map_err(|_| Status::invalid_argument("session_id must be a UUID"))?;

        self.sessions
            .process(RevokeSession { caller, session_id })
            .await?;
        Ok(Response::new(pb::RevokeSessionResponse {}))
    }

    async fn sign_out(
        &self,
        request: Request<pb::SignOutRequest>,
    ) -> Result<Response<pb::SignOutResponse>, Status> {
        let caller = self.caller(&request).await?;

        let current = RevokeSession {
            caller,
            session_id: caller.session_id,
        };
        self.sessions.process(current).await?;
        Ok(Response::new(pb::SignOutResponse {}))
    }

    async fn sign_out_other_sessions(
        &self,
        request: Request<pb::SignOutOtherSessionsRequest>,
    ) -> Result<Response<pb::SignOutOtherSessionsResponse>, Status> {
        let caller = self.caller(&request).await?;

        let sessions_ended = self
            .sessions
            .process(RevokeOtherSessions { caller })
            .await?;
        Ok(Response::new(pb::SignOutOtherSessionsResponse {
            sessions_ended: u32::try_from(sessions_ended).unwrap_or(u32::MAX),
        }))
    }

    async fn begin_mfa_enrollment(
        &self,
        request: Request<pb::BeginMfaEnrollmentRequest>,
    ) -> Result<Response<pb::BeginMfaEnrollmentResponse>, Status> {
        let caller = self.caller(&request).await?;

        let enrollment = self.mfa.process(BeginMfaEnrollment { caller }).await?;
        Ok(Response::new(pb::BeginMfaEnrollmentResponse {
            secret: enrollment.secret,
            otpauth_uri: enrollment.otpauth_uri,
        }))
    }

    async fn confirm_mfa_enrollment(
        &self,
        request: Request<pb::ConfirmMfaEnrollmentRequest>,
    ) -> Result<Response<pb::ConfirmMfaEnrollmentResponse>, Status> {
        let caller = self.caller(&request).await?;
        let message = request.into_inner();

        let confirm = ConfirmMfaEnrollment {
            caller,
            code: message.code,
            reverification_token: message.reverification_token,
        };
        let recovery_codes = self.mfa.process(confirm).await?;
        Ok(Response::new(pb::ConfirmMfaEnrollmentResponse {
            recovery_codes,
        }))
    }

    async fn disable_mfa(
        &self,
        request: Request<pb::DisableMfaRequest>,
    ) -> Result<Response<pb::DisableMfaResponse>, Status> {
        let caller = self.caller(&request).await?;
        let ip_address = client_address(&request);
        let request = request.into_inner();
        let input = DisableMfa {
            caller,
            password: request.password,
            code: request.code,
            ip_address,
        };

        self.mfa.process(input).await?;
        Ok(Response::new(pb::DisableMfaResponse {}))
    }

    async fn reverify(
        &self,
        request: Request<pb::ReverifyRequest>,
    ) -> Result<Response<pb::ReverifyResponse>, Status> {
        let caller = self.caller(&request).await?;
        let ip_address = client_address(&request);
        let request = request.into_inner();

        let grant = if let Some(proof) = request.oauth {
            let input = ReverifyWithOAuth {
                caller,
                state: proof.state,
                code: proof.code,
                mfa_code: request.mfa_code,
                ip_address,
            };
            self.oauth.process(input).await?
        } else {
            let input = Reverify {
                caller,
                password: request.password,
                mfa_code: request.mfa_code,
                ip_address,
            };
            self.reverification.process(input).await?
        };
        Ok(Response::new(pb::ReverifyResponse {
            reverification_token: grant.token,
            expires_at: Some(timestamp(grant.expires_at)),
        }))
    }

    async fn change_password(
        &self,
        request: Request<pb::ChangePasswordRequest>,
    ) -> Result<Response<pb::ChangePasswordResponse>, Status> {
        let caller = self.caller(&request).await?;
        let request = request.into_inner();
        let input = ChangePassword {
            caller,
            reverification_token: request.reverification_token,
            new_password: request.new_password,
        };

        let changed = self.account_security.process(input).await?;
        Ok(Response::new(pb::ChangePasswordResponse {
            sessions_ended: u32::try_from(changed.sessions_ended).unwrap_or(u32::MAX),
        }))
    }

    async fn request_email_change(
        &self,
        request: Request<pb::RequestEmailChangeRequest>,
    ) -> Result<Response<pb::RequestEmailChangeResponse>, Status> {
        let caller = self.caller(&request).await?;
        let ip_address = client_address(&request);
        let request = request.into_inner();
        let input = RequestEmailChange {
            caller,
            reverification_token: request.reverification_token,
            new_email: request.new_email,
            ip_address,
        };

        self.account_security.process(input).await?;
        Ok(Response::new(pb::RequestEmailChangeResponse {}))
    }

    async fn regenerate_recovery_codes(
        &self,
        request: Request<pb::RegenerateRecoveryCodesRequest>,
    ) -> Result<Response<pb::RegenerateRecoveryCodesResponse>, Status> {
        let caller = self.caller(&request).await?;
        let input = RegenerateRecoveryCodes {
            caller,
            reverification_token: request.into_inner().reverification_token,
        };

        let recovery_codes = self.account_security.process(input).await?;
        Ok(Response::new(pb::RegenerateRecoveryCodesResponse {
            recovery_codes,
        }))
    }
}
