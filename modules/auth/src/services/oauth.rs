//! Sign-in through OAuth providers, and the account's login methods.
//!
//! A flow has two calls. Begin stores a random state and a PKCE verifier in Redis and
//! returns the provider's consent URL; the provider sends the customer back to the frontend
//! with a code and the state, and Complete takes the state (once), exchanges the code with
//! the verifier, and reads the customer's profile: a stable id, an address, and whether the
//! provider vouches for the address.
//!
//! Who is signed in follows from that profile, in this order: the account the identity is
//! linked to; else the account whose address the provider vouches for, which the identity
//! is then linked to (with a notice to the account); else a new account for a vouched
//! address. An address the provider does not vouch for leads nowhere: anyone can type any
//! address into some providers, and matching on it would hand over the account of whoever
//! really owns it. A right OAuth sign-in is worth what a right password is, no more: an
//! account with MFA on still gets a challenge.

mod http;
mod providers;

use std::sync::Arc;

use helium_framework::config::ConfigStore;
use helium_framework::error::ServiceError;
use helium_framework::processor::{DatabaseProcessor, Processor};
use helium_mailer::SecurityEvent;
use helium_shield::services::{
    AdmitAddressSignInRequest, AdmitSignInRequest, RecordFailedSignInRequest, Shield,
};
use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope,
    TokenResponse, TokenUrl,
};
use tokio::sync::OnceCell;
use uuid::Uuid;

pub use providers::{Profile, Provider};

use super::email;
use super::mfa::verify_second_factor;
use super::registration::check_domain;
use super::reverification::{ConsumeReverification, Reverification, ReverificationService};
use super::session::Caller;
use super::sign_in::{SignInOutcome, SignInService};
use super::{existing_account, ip_of, parse_email};
use crate::config::{AuthConfig, OAuthProviderConfig};
use crate::entities::db::mfa::{FindUserMfa, UserMfaRow};
use crate::entities::db::oauth_identity::{
    self, FindIdentity, ListIdentities, OAuthIdentityRow, PROVIDER_TAKEN, SUBJECT_TAKEN,
};
use crate::entities::db::user_account::{FindUserByEmail, UserAccountRow};
use crate::entities::redis::oauth_state::{
    OAuthPurpose, OAuthStates, PendingOAuth, StoreOAuthState, TakeOAuthState,
};

/// The login method name of the password in [`UnlinkLoginMethod`].
pub const PASSWORD_METHOD: &str = "password";

/// Why an OAuth call failed: what any service can say, or that the provider could not be
/// reached, which no [`ServiceError`] names and the caller should hear as "try later".
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// The provider did not answer, or answered with nonsense. The message names the
    /// provider; the cause is logged where it happened.
    #[error("{0}")]
    ProviderUnavailable(String),
}

impl From<sqlx::Error> for OAuthError {
    fn from(error: sqlx::Error) -> Self {
        Self::Service(error.into())
    }
}

/// What a started flow is for, as the caller asks it.
#[derive(Clone, Copy, Debug)]
pub enum FlowPurpose {
    SignIn,
    /// Link a provider to the caller's account.
    Link(Caller),
    /// Prove again to be the caller, with a provider linked to the account.
    Reverify(Caller),
}

/// Starts a flow with `provider`.
pub struct BeginOAuth {
    pub provider: String,
    pub purpose: FlowPurpose,
    pub ip_address: String,
}

/// Where to send the customer, and the state the provider will echo back.
#[derive(Debug)]
pub struct OAuthRedirect {
    pub authorization_url: String,
    pub state: String,
}

/// Finishes a sign-in flow with what the provider sent back.
pub struct CompleteOAuth {
    pub provider: String,
    pub state: String,
    pub code: String,
    pub device: String,
    pub ip_address: String,
}

/// Finishes a link flow started by the same session.
pub struct CompleteLinkOAuth {
    pub caller: Caller,
    pub state: String,
    pub code: String,
}

/// Finishes a re-verification flow started by the same session. The provider stands in for
/// the password only: with MFA on, a second factor is still needed.
pub struct ReverifyWithOAuth {
    pub caller: Caller,
    pub state: String,
    pub code: String,
    pub mfa_code: Option<String>,
    pub ip_address: String,
}

/// The ways the caller's account can sign in.
pub struct ListLoginMethods {
    pub caller: Caller,
}

#[derive(Debug)]
pub struct LoginMethods {
    pub has_password: bool,
    pub identities: Vec<OAuthIdentityRow>,
}

/// Removes a way to sign in: [`PASSWORD_METHOD`] or a provider name.
pub struct UnlinkLoginMethod {
    pub caller: Caller,
    pub method: String,
    pub reverification_token: String,
}

#[derive(Clone)]
pub struct OAuthService {
    db: DatabaseProcessor,
    configs: ConfigStore,
    states: OAuthStates,
    sign_in: SignInService,
    shield: Shield,
    reverification: ReverificationService,
    /// Built on first use, so a process that never signs in with a provider never needs TLS.
    http: Arc<OnceCell<reqwest::Client>>,
}

/// An `oauth2` client with the two endpoints the authorization-code flow uses.
type FlowClient =
    BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// One configured provider, resolved.
struct Configured {
    provider: Provider,
    config: OAuthProviderConfig,
    challenge_ttl_secs: u64,
}

impl OAuthService {
    pub fn new(
        db: DatabaseProcessor,
        configs: ConfigStore,
        states: OAuthStates,
        sign_in: SignInService,
        shield: Shield,
        reverification: ReverificationService,
    ) -> Self {
        Self {
            db,
            configs,
            states,
            sign_in,
            shield,
            reverification,
            http: Arc::new(OnceCell::new()),
        }
    }

    async fn http(&self) -> Result<&reqwest::Client, ServiceError> {
        self.http
            .get_or_try_init(|| async { http::client() })
            .await
            .map_err(ServiceError::internal)
    }

    async fn config(&self) -> Result<AuthConfig, ServiceError> {
        self.configs.load().await.map_err(ServiceError::internal)
    }

    /// The configured provider `name` (in any letter case), or INVALID_ARGUMENT naming the
    /// configured ones.
    async fn configured(&self, name: &str) -> Result<Configured, ServiceError> {
        let config = self.config().await?;
        let oauth = config.oauth_providers;
        let found = oauth
            .providers
            .iter()
            .find(|provider| provider.name.eq_ignore_ascii_case(name.trim()))
            .and_then(|config| Some((Provider::from_name(&config.name)?, config)));
        if let Some((provider, config)) = found {
            return Ok(Configured {
                provider,
                config: config.clone(),
                challenge_ttl_secs: oauth.challenge_expiration.0,
            });
        }
        let names: Vec<&str> = oauth.providers.iter().map(|p| p.name.as_str()).collect();
        Err(ServiceError::InvalidArgument(if names.is_empty() {
            "sign-in with an external provider is not available here".to_owned()
        } else {
            format!(
                "{:?} is not a sign-in provider here; choose one of {}",
                name.trim(),
                names.join(", ")
            )
        }))
    }

    /// Checks a second factor as a sign-in would: admitted by the shield, and a wrong one
    /// counted as a failed sign-in.
    async fn check_second_factor(
        &self,
        account: &UserAccountRow,
        mfa: &UserMfaRow,
        code: String,
        ip_address: &str,
    ) -> Result<(), ServiceError> {
        let admit = AdmitSignInRequest {
            email: account.email.clone(),
            address: ip_of(ip_address),
        };
        self.shield.process(admit).await?;
        if verify_second_factor(&self.db, mfa, &code).await? {
            return Ok(());
        }
        let failed = RecordFailedSignInRequest {
            email: account.email.clone(),
        };
        self.shield.process(failed).await?;
        Err(ServiceError::PermissionDenied(
            "the code is not correct".into(),
        ))
    }

    /// Takes the flow of `state` out of Redis, or says it is gone.
    async fn take_flow(&self, state: &str) -> Result<PendingOAuth, ServiceError> {
        let gone = || {
            ServiceError::Unauthenticated(
                "this sign-in with the provider has expired or was already used; start again"
                    .into(),
            )
        };
        if state.trim().is_empty() {
            return Err(gone());
        }
        let take = TakeOAuthState {
            state: state.trim().to_owned(),
        };
        self.states
            .process(take)
            .await
            .map_err(ServiceError::internal)?
            .ok_or_else(gone)
    }

    /// Exchanges the code for an access token (with the flow's PKCE verifier) and reads the
    /// customer's profile with it. The token is dropped here: Helium keeps no provider
    /// tokens.
    async fn profile(
        &self,
        flow: PendingOAuth,
        code: &str,
    ) -> Result<(Configured, Profile), OAuthError> {
        let configured = self.configured(&flow.provider).await?;
        let name = configured.provider.name();
        if code.trim().is_empty() {
            return Err(ServiceError::Unauthenticated(format!(
                "{name} did not grant access (consent was declined or cancelled); start again"
            ))
            .into());
        }
        let endpoints = configured.provider.endpoints(&configured.config);
        let client = flow_client(&configured.config, &endpoints)?;
        let http_client = self.http().await?.clone();
        let for_exchange = http_client.clone();
        let send = move |request| http::send(for_exchange.clone(), request);
        let exchanged = client
            .exchange_code(AuthorizationCode::new(code.trim().to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(flow.pkce_verifier))
            .request_async(&send)
            .await;
        let token = match exchanged {
            Ok(token) => token,
            Err(error) => return Err(exchange_failure(configured.provider, error)),
        };
        let profile = configured
            .provider
            .fetch_profile(
                &http_client,
                &endpoints.userinfo_url,
                token.access_token().secret(),
            )
            .await
            .map_err(|error| {
                tracing::warn!(provider = name, %error, "OAuth profile not read");
                OAuthError::ProviderUnavailable(format!(
                    "{name} did not tell who signed in; try again later"
                ))
            })?;
        Ok((configured, profile))
    }

    /// Links an identity in `connection`'s transaction, telling a taken identity apart from a
    /// provider the account already has.
    async fn link(
        connection: &mut sqlx::PgConnection,
        user_id: Uuid,
        provider: Provider,
        profile: &Profile,
    ) -> Result<(), ServiceError> {
        let inserted = oauth_identity::insert_identity(
            connection,
            user_id,
            provider.name(),
            &profile.subject,
            profile.email.as_deref(),
        )
        .await;
        let Err(error) = inserted else {
            return Ok(());
        };
        let name = provider.name();
        Err(
            match error
                .as_database_error()
                .and_then(|error| error.constraint())
            {
                Some(SUBJECT_TAKEN) => ServiceError::AlreadyExists(format!(
                    "this {name} account is already linked to another account"
                )),
                Some(PROVIDER_TAKEN) => ServiceError::FailedPrecondition(format!(
                    "a different {name} account is already linked to this account; unlink it \
                     first"
                )),
                _ => error.into(),
            },
        )
    }

    /// Refuses to link a provider by address to an account with MFA on. The link would be
    /// written before the second factor is asked for, so whoever holds the mailbox could add
    /// a way to sign in without the authenticator; such an account links from inside instead
    /// (CompleteLinkOAuth), after its owner has passed MFA.
    async fn refuse_link_past_mfa(
        &self,
        account: &UserAccountRow,
        provider: Provider,
    ) -> Result<(), ServiceError> {
        let mfa = self
            .db
            .process(FindUserMfa {
                user_id: account.id,
            })
            .await?;
        if mfa.is_some_and(|mfa| mfa.enabled_at.is_some()) {
            let name = provider.name();
            return Err(ServiceError::FailedPrecondition(format!(
                "an account with this address has two-factor authentication on: sign in with \
                 your password and code, then link {name} from your account"
            )));
        }
        Ok(())
    }

    /// The account a sign-in profile leads to, linking or creating as the module's rules say.
    async fn resolve_sign_in(
        &self,
        provider: Provider,
        profile: &Profile,
    ) -> Result<UserAccountRow, ServiceError> {
        let name = provider.name();
        let find = FindIdentity {
            provider: name.to_owned(),
            subject: profile.subject.clone(),
        };
        if let Some(identity) = self.db.process(find).await? {
            return existing_account(&self.db, identity.user_id).await;
        }

        let email = match (&profile.email, profile.email_verified) {
            (Some(email), true) => parse_email(email).map_err(|_| unverified(provider))?,
            _ => return Err(unverified(provider)),
        };
        let config = self.config().await?;
        let existing = self
            .db
            .process(FindUserByEmail {
                email: email.clone(),
            })
            .await?;
        if let Some(account) = &existing {
            // A suspended account gains nothing, not even a link.
            refuse_banned(account)?;
            self.refuse_link_past_mfa(account, provider).await?;
        }
        let mut transaction = self.db.pool().begin().await?;
        let account = match existing {
            Some(account) => {
                Self::link(&mut transaction, account.id, provider, profile).await?;
                let event = SecurityEvent::LoginMethodLinked {
                    method: name.to_owned(),
                };
                email::queue_security_notice(&mut transaction, &config, &account.email, event)
                    .await?;
                tracing::info!(user_id = %account.id, provider = name, "linked by verified email");
                account
            }
            None => {
                check_domain(&config.email_provider.register_domain, &email)?;
                let user_id = Uuid::now_v7();
                let created =
                    oauth_identity::insert_passwordless_account(&mut transaction, user_id, &email)
                        .await;
                if let Err(error) = created {
                    return Err(match error.as_database_error() {
                        Some(database) if database.is_unique_violation() => {
                            ServiceError::AlreadyExists(
                                "an account with this email address was just created; sign in \
                                 again"
                                    .into(),
                            )
                        }
                        _ => error.into(),
                    });
                }
                Self::link(&mut transaction, user_id, provider, profile).await?;
                tracing::info!(%user_id, provider = name, "account registered through OAuth");
                UserAccountRow {
                    id: user_id,
                    email,
                    password_hash: None,
                    referral_code: None,
                    banned_at: None,
                    created_at: chrono::Utc::now(),
                }
            }
        };
        transaction.commit().await?;
        Ok(account)
    }
}

impl Processor<BeginOAuth> for OAuthService {
    type Output = OAuthRedirect;
    type Error = ServiceError;

    async fn process(&self, input: BeginOAuth) -> Result<OAuthRedirect, ServiceError> {
        let configured = self.configured(&input.provider).await?;
        let name = configured.provider.name();
        // Every started flow is kept in Redis until it expires: counted per address, so a
        // flood cannot fill Redis with flows nobody finishes.
        let admit = AdmitAddressSignInRequest {
            address: ip_of(&input.ip_address),
        };
        self.shield.process(admit).await?;

        let purpose = match input.purpose {
            FlowPurpose::SignIn => OAuthPurpose::SignIn,
            FlowPurpose::Link(caller) => {
                let identities = self
                    .db
                    .process(ListIdentities {
                        user_id: caller.user_id,
                    })
                    .await?;
                if identities.iter().any(|identity| identity.provider == name) {
                    return Err(ServiceError::FailedPrecondition(format!(
                        "a {name} account is already linked to this account; unlink it first"
                    )));
                }
                OAuthPurpose::Link {
                    user_id: caller.user_id,
                    session_id: caller.session_id,
                }
            }
            FlowPurpose::Reverify(caller) => {
                let identities = self
                    .db
                    .process(ListIdentities {
                        user_id: caller.user_id,
                    })
                    .await?;
                if !identities.iter().any(|identity| identity.provider == name) {
                    return Err(ServiceError::FailedPrecondition(format!(
                        "no {name} account is linked to this account; re-verify with a linked \
                         provider or the password"
                    )));
                }
                OAuthPurpose::Reverify {
                    user_id: caller.user_id,
                    session_id: caller.session_id,
                }
            }
        };

        let endpoints = configured.provider.endpoints(&configured.config);
        let client = flow_client(&configured.config, &endpoints)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let scopes = configured
            .provider
            .scopes()
            .iter()
            .map(|scope| Scope::new((*scope).to_owned()));
        let (url, state) = client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(scopes)
            .set_pkce_challenge(challenge)
            .url();
        let state = state.secret().clone();
        let store = StoreOAuthState {
            state: state.clone(),
            pending: PendingOAuth {
                provider: name.to_owned(),
                pkce_verifier: verifier.secret().clone(),
                purpose,
            },
            ttl_secs: configured.challenge_ttl_secs,
        };
        self.states
            .process(store)
            .await
            .map_err(ServiceError::internal)?;
        Ok(OAuthRedirect {
            authorization_url: url.to_string(),
            state,
        })
    }
}

impl Processor<CompleteOAuth> for OAuthService {
    type Output = SignInOutcome;
    type Error = OAuthError;

    async fn process(&self, input: CompleteOAuth) -> Result<SignInOutcome, OAuthError> {
        // The same per-address limit as password sign-in. The account is not known before the
        // provider answers, so the per-account limit and lock-out neither apply nor can be
        // abused here.
        let admit = AdmitAddressSignInRequest {
            address: ip_of(&input.ip_address),
        };
        self.shield.process(admit).await?;

        let flow = self.take_flow(&input.state).await?;
        if flow.purpose != OAuthPurpose::SignIn {
            return Err(ServiceError::Unauthenticated(
                "this flow was not started as a sign-in; start again".into(),
            )
            .into());
        }
        if !flow.provider.eq_ignore_ascii_case(input.provider.trim()) {
            return Err(ServiceError::Unauthenticated(format!(
                "this sign-in was started with {}, not {}; start again",
                flow.provider,
                input.provider.trim()
            ))
            .into());
        }
        let (configured, profile) = self.profile(flow, &input.code).await?;
        let account = self.resolve_sign_in(configured.provider, &profile).await?;
        refuse_banned(&account)?;
        let provider = configured.provider.name();
        tracing::info!(user_id = %account.id, provider, "OAuth sign-in");
        Ok(self
            .sign_in
            .finish_verified(&account, &input.device, input.ip_address)
            .await?)
    }
}

impl Processor<CompleteLinkOAuth> for OAuthService {
    type Output = Provider;
    type Error = OAuthError;

    async fn process(&self, input: CompleteLinkOAuth) -> Result<Provider, OAuthError> {
        let flow = self.take_flow(&input.state).await?;
        let expected = OAuthPurpose::Link {
            user_id: input.caller.user_id,
            session_id: input.caller.session_id,
        };
        if flow.purpose != expected {
            return Err(ServiceError::PermissionDenied(
                "this link was not started from this session; start again".into(),
            )
            .into());
        }
        let account = existing_account(&self.db, input.caller.user_id).await?;
        let (configured, profile) = self.profile(flow, &input.code).await?;
        let name = configured.provider.name();
        let config = self.config().await?;

        let mut transaction = self.db.pool().begin().await?;
        Self::link(&mut transaction, account.id, configured.provider, &profile).await?;
        let event = SecurityEvent::LoginMethodLinked {
            method: name.to_owned(),
        };
        email::queue_security_notice(&mut transaction, &config, &account.email, event).await?;
        transaction.commit().await?;
        tracing::info!(user_id = %account.id, provider = name, "login method linked");
        Ok(configured.provider)
    }
}

impl Processor<ReverifyWithOAuth> for OAuthService {
    type Output = Reverification;
    type Error = OAuthError;

    async fn process(&self, input: ReverifyWithOAuth) -> Result<Reverification, OAuthError> {
        // Checked before the flow is spent, so a forgotten code costs no new consent.
        let mfa_code = input.mfa_code.filter(|code| !code.trim().is_empty());
        let account = existing_account(&self.db, input.caller.user_id).await?;
        let mfa = self
            .db
            .process(FindUserMfa {
                user_id: account.id,
            })
            .await?
            .filter(|mfa| mfa.enabled_at.is_some());
        if mfa.is_some() && mfa_code.is_none() {
            return Err(ServiceError::InvalidArgument(
                "two-factor authentication is on: a code from the authenticator app or a \
                 recovery code is required"
                    .into(),
            )
            .into());
        }
        let flow = self.take_flow(&input.state).await?;
        let expected = OAuthPurpose::Reverify {
            user_id: input.caller.user_id,
            session_id: input.caller.session_id,
        };
        if flow.purpose != expected {
            return Err(ServiceError::PermissionDenied(
                "this re-verification was not started from this session; start again".into(),
            )
            .into());
        }
        let (configured, profile) = self.profile(flow, &input.code).await?;
        let find = FindIdentity {
            provider: configured.provider.name().to_owned(),
            subject: profile.subject,
        };
        let identity = self.db.process(find).await?;
        if identity.is_none_or(|identity| identity.user_id != input.caller.user_id) {
            return Err(ServiceError::PermissionDenied(format!(
                "this {} account is not the one linked to your account",
                configured.provider.name()
            ))
            .into());
        }
        if let Some(mfa) = mfa {
            self.check_second_factor(
                &account,
                &mfa,
                mfa_code.unwrap_or_default(),
                &input.ip_address,
            )
            .await?;
        }
        Ok(self.reverification.grant(input.caller).await?)
    }
}

impl Processor<ListLoginMethods> for OAuthService {
    type Output = LoginMethods;
    type Error = ServiceError;

    async fn process(&self, input: ListLoginMethods) -> Result<LoginMethods, ServiceError> {
        let account = existing_account(&self.db, input.caller.user_id).await?;
        let identities = self
            .db
            .process(ListIdentities {
                user_id: account.id,
            })
            .await?;
        Ok(LoginMethods {
            has_password: account.password_hash.is_some(),
            identities,
        })
    }
}

impl Processor<UnlinkLoginMethod> for OAuthService {
    type Output = ();
    type Error = ServiceError;

    async fn process(&self, input: UnlinkLoginMethod) -> Result<(), ServiceError> {
        let method = input.method.trim();
        let provider = if method.eq_ignore_ascii_case(PASSWORD_METHOD) {
            None
        } else {
            let provider = crate::config::OAUTH_PROVIDER_NAMES
                .iter()
                .find(|name| name.eq_ignore_ascii_case(method))
                .and_then(|name| Provider::from_name(name))
                .ok_or_else(|| {
                    ServiceError::InvalidArgument(format!(
                        "{method:?} is not a login method; use \"password\" or one of {}",
                        crate::config::OAUTH_PROVIDER_NAMES.join(", ")
                    ))
                })?;
            Some(provider)
        };
        let config = self.config().await?;

        // The account row stays locked until commit: of two removals racing on one account,
        // the second counts what the first left.
        let mut transaction = self.db.pool().begin().await?;
        let methods = oauth_identity::lock_login_methods(&mut transaction, input.caller.user_id)
            .await?
            .ok_or_else(|| ServiceError::Unauthenticated("the account no longer exists".into()))?;
        let present = match provider {
            None => methods.has_password,
            Some(provider) => methods.providers.iter().any(|name| name == provider.name()),
        };
        let label = provider.map_or("Password", Provider::name);
        if !present {
            return Err(ServiceError::NotFound(match provider {
                None => "this account has no password".to_owned(),
                Some(provider) => format!("no {} account is linked", provider.name()),
            }));
        }
        if usize::from(methods.has_password) + methods.providers.len() <= 1 {
            return Err(ServiceError::FailedPrecondition(
                "this is the only way to sign in to the account; add another before removing \
                 it"
                .into(),
            ));
        }
        let consume = ConsumeReverification {
            caller: input.caller,
            token: input.reverification_token,
        };
        self.reverification.process(consume).await?;

        match provider {
            None => oauth_identity::clear_password(&mut transaction, input.caller.user_id).await?,
            Some(provider) => {
                oauth_identity::delete_identity(
                    &mut transaction,
                    input.caller.user_id,
                    provider.name(),
                )
                .await?;
            }
        }
        let event = SecurityEvent::LoginMethodUnlinked {
            method: label.to_owned(),
        };
        email::queue_security_notice(&mut transaction, &config, &methods.email, event).await?;
        transaction.commit().await?;
        tracing::info!(user_id = %input.caller.user_id, method = label, "login method removed");
        Ok(())
    }
}

/// The `oauth2` client for one provider. The client secret goes in the form body, which all
/// four providers accept.
fn flow_client(
    config: &OAuthProviderConfig,
    endpoints: &providers::Endpoints,
) -> Result<FlowClient, ServiceError> {
    // Configuration validation checked these URLs; a failure here is a bug.
    let auth_url =
        AuthUrl::new(endpoints.authorization_url.clone()).map_err(ServiceError::internal)?;
    let token_url = TokenUrl::new(endpoints.token_url.clone()).map_err(ServiceError::internal)?;
    let redirect = RedirectUrl::new(config.redirect_uri.clone()).map_err(ServiceError::internal)?;
    Ok(BasicClient::new(ClientId::new(config.client_id.clone()))
        .set_client_secret(ClientSecret::new(config.client_secret.expose().to_owned()))
        .set_auth_uri(auth_url)
        .set_token_uri(token_url)
        .set_redirect_uri(redirect)
        .set_auth_type(AuthType::RequestBody))
}

/// Sorts a failed code exchange into the customer's problem (a bad, used or expired code),
/// the provider's (down, or talking nonsense) and the operator's (wrong client credentials).
fn exchange_failure<RE: std::error::Error>(
    provider: Provider,
    error: RequestTokenError<RE, oauth2::basic::BasicErrorResponse>,
) -> OAuthError {
    let name = provider.name();
    let refused = || {
        ServiceError::Unauthenticated(format!(
            "{name} did not accept the sign-in code; it may have expired or been used \
             already: start again"
        ))
        .into()
    };
    let unavailable = || {
        OAuthError::ProviderUnavailable(format!(
            "{name} cannot be reached right now; try again later"
        ))
    };
    match error {
        RequestTokenError::ServerResponse(response) => match response.error() {
            BasicErrorResponseType::InvalidClient | BasicErrorResponseType::UnauthorizedClient => {
                ServiceError::internal(std::io::Error::other(format!(
                    "{name} refused Helium's client credentials; check auth.oauth_providers"
                )))
                .into()
            }
            BasicErrorResponseType::Extension(code)
                if code == "server_error" || code == "temporarily_unavailable" =>
            {
                unavailable()
            }
            _ => refused(),
        },
        // GitHub answers a bad code with `200 {"error": ...}`, which is no token.
        RequestTokenError::Parse(_, body)
            if serde_json::from_slice::<serde_json::Value>(&body)
                .is_ok_and(|body| body.get("error").is_some()) =>
        {
            refused()
        }
        RequestTokenError::Request(error) => {
            tracing::warn!(provider = name, %error, "OAuth token request failed");
            unavailable()
        }
        RequestTokenError::Parse(error, _) => {
            tracing::warn!(provider = name, %error, "OAuth token response unreadable");
            unavailable()
        }
        RequestTokenError::Other(error) => {
            tracing::warn!(provider = name, %error, "OAuth token request failed");
            unavailable()
        }
    }
}

fn unverified(provider: Provider) -> ServiceError {
    ServiceError::FailedPrecondition(format!(
        "{} did not confirm an email address for this account, so it cannot sign in or sign \
         up on its own: register with your email address, then link {} from your account",
        provider.name(),
        provider.name()
    ))
}

fn refuse_banned(account: &UserAccountRow) -> Result<(), ServiceError> {
    if account.banned_at.is_some() {
        return Err(ServiceError::PermissionDenied(
            "this account is suspended; contact support".into(),
        ));
    }
    Ok(())
}
