//! `helium.auth.v1.AuthService`: calls that need no session.

use helium_framework::grpc::client_address;
use helium_framework::processor::Processor;
use helium_framework::tokens::bearer_token;
use tonic::{Request, Response, Status};

use super::pb;
use crate::services::account_security::{AccountSecurityService, ConfirmEmailChange};
use crate::services::oauth::{BeginOAuth, CompleteOAuth, FlowPurpose, OAuthError, OAuthService};
use crate::services::password_reset::{
    CompletePasswordReset, PasswordResetService, RequestPasswordReset,
};
use crate::services::registration::{
    CompleteRegistration, RegistrationService, RequestRegistration,
};
use crate::services::session::{Authenticate, RefreshSession, SessionService};
use crate::services::sign_in::{CompleteSignIn, SignIn, SignInOutcome, SignInService};

pub struct AuthApi {
    pub(super) registration: RegistrationService,
    pub(super) sign_in: SignInService,
    pub(super) password_reset: PasswordResetService,
    pub(super) sessions: SessionService,
    pub(super) account_security: AccountSecurityService,
    pub(super) oauth: OAuthService,
}

#[tonic::async_trait]
impl pb::auth_service_server::AuthService for AuthApi {
    async fn begin_o_auth(
        &self,
        request: Request<pb::BeginOAuthRequest>,
    ) -> Result<Response<pb::BeginOAuthResponse>, Status> {
        let purpose = match request.get_ref().purpose() {
            pb::OAuthFlowPurpose::OauthFlowPurposeSignIn => FlowPurpose::SignIn,
            pb::OAuthFlowPurpose::OauthFlowPurposeReverify => {
                let access_token = bearer_token(request.metadata())?.to_owned();
                let caller = self.sessions.process(Authenticate { access_token }).await?;
                FlowPurpose::Reverify(caller)
            }
        };
        let input = BeginOAuth {
            ip_address: client_address(&request),
            provider: request.into_inner().provider,
            purpose,
        };

        let redirect = self.oauth.process(input).await?;
        Ok(Response::new(pb::BeginOAuthResponse {
            authorization_url: redirect.authorization_url,
            state: redirect.state,
        }))
    }

    async fn complete_o_auth(
        &self,
        request: Request<pb::CompleteOAuthRequest>,
    ) -> Result<Response<pb::CompleteOAuthResponse>, Status> {
        let ip_address = client_address(&request);
        let request = request.into_inner();
        let input = CompleteOAuth {
            provider: request.provider,
            state: request.state,
            code: request.code,
            device: request.device,
            ip_address,
        };

        let response = match self.oauth.process(input).await? {
            SignInOutcome::SignedIn(signed_in) => pb::CompleteOAuthResponse {
                user_id: signed_in.user_id.to_string(),
                session: Some(signed_in.session.into()),
                mfa_challenge: None,
            },
            SignInOutcome::MfaRequired { user_id, challenge } => pb::CompleteOAuthResponse {
                user_id: user_id.to_string(),
                session: None,
                mfa_challenge: Some(challenge),
            },
        };
        Ok(Response::new(response))
    }

    async fn request_registration(
        &self,
        request: Request<pb::RequestRegistrationRequest>,
    ) -> Result<Response<pb::RequestRegistrationResponse>, Status> {
        let ip_address = client_address(&request);
        let request = request.into_inner();
        let input = RequestRegistration {
            email: request.email,
            referral_code: request.referral_code,
            ip_address,
        };

        self.registration.process(input).await?;
        Ok(Response::new(pb::RequestRegistrationResponse {}))
    }

    async fn complete_registration(
        &self,
        request: Request<pb::CompleteRegistrationRequest>,
    ) -> Result<Response<pb::CompleteRegistrationResponse>, Status> {
        let ip_address = client_address(&request);
        let request = request.into_inner();
        let input = CompleteRegistration {
            token: request.token,
            password: request.password,
            device: request.device,
            ip_address,
        };

        let completed = self.registration.process(input).await?;
        Ok(Response::new(pb::CompleteRegistrationResponse {
            user_id: completed.user_id.to_string(),
            session: completed.session.map(Into::into),
        }))
    }

    async fn sign_in(
        &self,
        request: Request<pb::SignInRequest>,
    ) -> Result<Response<pb::SignInResponse>, Status> {
        let ip_address = client_address(&request);
        let request = request.into_inner();
        let input = SignIn {
            email: request.email,
            password: request.password,
            device: request.device,
            ip_address,
        };

        let response = match self.sign_in.process(input).await? {
            SignInOutcome::SignedIn(signed_in) => pb::SignInResponse {
                user_id: signed_in.user_id.to_string(),
                session: Some(signed_in.session.into()),
                mfa_challenge: None,
            },
            SignInOutcome::MfaRequired { user_id, challenge } => pb::SignInResponse {
                user_id: user_id.to_string(),
                session: None,
                mfa_challenge: Some(challenge),
            },
        };
        Ok(Response::new(response))
    }

    async fn complete_sign_in(
        &self,
        request: Request<pb::CompleteSignInRequest>,
    ) -> Result<Response<pb::CompleteSignInResponse>, Status> {
        let ip_address = client_address(&request);
        let request = request.into_inner();
        let input = CompleteSignIn {
            challenge: request.challenge,
            code: request.code,
            ip_address,
        };

        let signed_in = self.sign_in.process(input).await?;
        Ok(Response::new(pb::CompleteSignInResponse {
            user_id: signed_in.user_id.to_string(),
            session: Some(signed_in.session.into()),
        }))
    }

    async fn refresh_session(
        &self,
        request: Request<pb::RefreshSessionRequest>,
    ) -> Result<Response<pb::RefreshSessionResponse>, Status> {
        let ip_address = client_address(&request);
        let input = RefreshSession {
            refresh_token: request.into_inner().refresh_token,
            ip_address,
        };

        let session = self.sessions.process(input).await?;
        Ok(Response::new(pb::RefreshSessionResponse {
            session: Some(session.into()),
        }))
    }

    async fn request_password_reset(
        &self,
        request: Request<pb::RequestPasswordResetRequest>,
    ) -> Result<Response<pb::RequestPasswordResetResponse>, Status> {
        let ip_address = client_address(&request);
        let input = RequestPasswordReset {
            email: request.into_inner().email,
            ip_address,
        };

        self.password_reset.process(input).await?;
        Ok(Response::new(pb::RequestPasswordResetResponse {}))
    }

    async fn complete_password_reset(
        &self,
        request: Request<pb::CompletePasswordResetRequest>,
    ) -> Result<Response<pb::CompletePasswordResetResponse>, Status> {
        let request = request.into_inner();
        let input = CompletePasswordReset {
            token: request.token,
            new_password: request.new_password,
        };

        self.password_reset.process(input).await?;
        Ok(Response::new(pb::CompletePasswordResetResponse {}))
    }

    async fn confirm_email_change(
        &self,
        request: Request<pb::ConfirmEmailChangeRequest>,
    ) -> Result<Response<pb::ConfirmEmailChangeResponse>, Status> {
        let input = ConfirmEmailChange {
            token: request.into_inner().token,
        };

        self.account_security.process(input).await?;
        Ok(Response::new(pb::ConfirmEmailChangeResponse {}))
    }
}

impl From<OAuthError> for Status {
    fn from(error: OAuthError) -> Self {
        match error {
            OAuthError::Service(error) => error.into(),
            OAuthError::ProviderUnavailable(message) => Status::unavailable(message),
        }
    }
}
