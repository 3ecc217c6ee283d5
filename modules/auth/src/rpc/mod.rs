//! The `helium.auth.v1` gRPC services: protocol only, each call one service call.

mod account_api;
mod auth_api;

use helium_framework::config::ConfigStore;
use helium_framework::processor::DatabaseProcessor;
use helium_framework::redis::RedisConnection;
use helium_shield::services::Shield;
use sqlx::PgPool;

pub use account_api::AccountApi;
pub use auth_api::AuthApi;

use crate::cache::AuthCache;
use crate::entities::redis::mfa_challenge::MfaChallenges;
use crate::entities::redis::oauth_state::OAuthStates;
use crate::entities::redis::resend::ResendSlots;
use crate::entities::redis::reverification::Reverifications;
use crate::entities::redis::session::SessionMarkers;
use crate::services::account::AccountService;
use crate::services::account_security::AccountSecurityService;
use crate::services::mfa::MfaService;
use crate::services::oauth::OAuthService;
use crate::services::password_reset::PasswordResetService;
use crate::services::registration::RegistrationService;
use crate::services::reverification::ReverificationService;
use crate::services::session::{IssuedSession, SessionService};
use crate::services::sign_in::SignInService;

/// The generated protobuf types and tonic services.
#[allow(clippy::all)]
pub mod pb {
    tonic::include_proto!("helium.auth.v1");

    /// For server reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        tonic::include_file_descriptor_set!("helium_auth_descriptor");
}

use pb::account_service_server::AccountServiceServer;
use pb::auth_service_server::AuthServiceServer;

/// Builds the module's gRPC services over one set of connections. `cache` is the worker's
/// memory of sessions and profiles; it is used only while its
/// [`watch`](AuthCache::watch) runs.
pub fn services(
    db: PgPool,
    redis: RedisConnection,
    configs: ConfigStore,
    cache: AuthCache,
) -> (AuthServiceServer<AuthApi>, AccountServiceServer<AccountApi>) {
    let db = DatabaseProcessor::from_pool(db);
    let shield = Shield::new(configs.clone(), redis.clone());
    let resend = ResendSlots::new(redis.clone());
    let challenges = MfaChallenges::new(redis.clone());
    let reverification = ReverificationService::new(
        db.clone(),
        shield.clone(),
        Reverifications::new(redis.clone()),
    );
    let oauth_states = OAuthStates::new(redis.clone());
    let markers = SessionMarkers::new(redis);
    let sessions = SessionService::new(db.clone(), markers, configs.clone(), cache.clone());
    let account_security = AccountSecurityService::new(
        db.clone(),
        configs.clone(),
        sessions.clone(),
        shield.clone(),
        resend.clone(),
        reverification.clone(),
    );
    let oauth = OAuthService::new(
        db.clone(),
        configs.clone(),
        oauth_states,
        SignInService::new(
            db.clone(),
            configs.clone(),
            sessions.clone(),
            shield.clone(),
            challenges.clone(),
        ),
        shield.clone(),
        reverification.clone(),
    );
    let auth = AuthApi {
        registration: RegistrationService::new(
            db.clone(),
            configs.clone(),
            sessions.clone(),
            shield.clone(),
            resend.clone(),
        ),
        sign_in: SignInService::new(
            db.clone(),
            configs.clone(),
            sessions.clone(),
            shield.clone(),
            challenges,
        ),
        password_reset: PasswordResetService::new(
            db.clone(),
            configs.clone(),
            sessions.clone(),
            shield.clone(),
            resend,
        ),
        sessions: sessions.clone(),
        account_security: account_security.clone(),
        oauth: oauth.clone(),
    };
    let account = AccountApi {
        sessions,
        accounts: AccountService::new(db.clone(), cache.clone()),
        mfa: MfaService::new(db, configs, shield, cache, reverification.clone()),
        reverification,
        account_security,
        oauth,
    };
    (
        AuthServiceServer::new(auth),
        AccountServiceServer::new(account),
    )
}

impl From<IssuedSession> for pb::SessionTokens {
    fn from(session: IssuedSession) -> Self {
        use helium_framework::grpc::timestamp;
        Self {
            access_token: session.access_token,
            access_token_expires_at: Some(timestamp(session.access_expires_at)),
            refresh_token: session.refresh_token,
            refresh_token_expires_at: Some(timestamp(session.refresh_expires_at)),
            session_id: session.session_id.to_string(),
        }
    }
}
