//! A small OAuth 2.0 provider for tests: the authorization-code grant with PKCE (S256), with
//! the token and profile endpoints of Google, Microsoft, GitHub and Discord, answering in
//! each provider's own JSON shape.
//!
//! The browser leg (the customer consenting on the provider's page) is a method,
//! [`FakeOAuthServer::consent`], which checks the authorization URL the way a provider does
//! and returns the redirect back to the client. The server legs are real HTTP on a random
//! local port: the token endpoint checks the client's credentials (HTTP Basic or form), the
//! code (once only), the redirect URI and the PKCE verifier; the profile endpoints check the
//! bearer token.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use uuid::Uuid;

/// Which provider's behaviour and JSON a path prefix of the fake speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FakeProvider {
    Google,
    Microsoft,
    GitHub,
    Discord,
}

impl FakeProvider {
    pub const ALL: [Self; 4] = [Self::Google, Self::Microsoft, Self::GitHub, Self::Discord];

    /// The name Helium's configuration uses for it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Google => "Google",
            Self::Microsoft => "Microsoft",
            Self::GitHub => "GitHub",
            Self::Discord => "Discord",
        }
    }

    fn slug(self) -> &'static str {
        match self {
            Self::Google => "google",
            Self::Microsoft => "microsoft",
            Self::GitHub => "github",
            Self::Discord => "discord",
        }
    }

    fn from_slug(slug: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|provider| provider.slug() == slug)
    }

    /// The profile path, after the provider's prefix, as the real provider lays it out.
    fn userinfo_path(self) -> &'static str {
        match self {
            Self::Google => "/userinfo",
            Self::Microsoft => "/oidc/userinfo",
            Self::GitHub => "/user",
            Self::Discord => "/users/@me",
        }
    }
}

/// A person with an account at the fake provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeUser {
    /// The provider's stable id: `sub`, or GitHub's numeric id (must then be digits).
    pub subject: String,
    pub email: Option<String>,
    /// Whether the provider has checked the address.
    pub email_verified: bool,
    pub name: String,
}

impl FakeUser {
    /// A user with a verified address and a fresh id (digits, so it suits GitHub too).
    pub fn verified(email: &str) -> Self {
        Self {
            subject: (Uuid::now_v7().as_u128() % 1_000_000_000_000).to_string(),
            email: Some(email.to_owned()),
            email_verified: true,
            name: "Test User".to_owned(),
        }
    }

    /// The same, with an address the provider has not checked.
    pub fn unverified(email: &str) -> Self {
        Self {
            email_verified: false,
            ..Self::verified(email)
        }
    }
}

/// The client registration of one provider.
#[derive(Clone, Debug)]
pub struct FakeClient {
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
}

/// Where the customer's browser is sent back to after consenting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentRedirect {
    /// The full redirect URL.
    pub url: String,
    pub code: String,
    pub state: String,
}

/// An issued code, waiting for its exchange.
struct Grant {
    provider: FakeProvider,
    client_id: String,
    redirect_uri: String,
    code_challenge: String,
    user: FakeUser,
}

#[derive(Default)]
struct Inner {
    clients: HashMap<FakeProvider, FakeClient>,
    codes: HashMap<String, Grant>,
    tokens: HashMap<String, (FakeProvider, FakeUser)>,
    /// Answer every token request with 503, as a provider that is down.
    unavailable: bool,
    /// Every token request's form, for tests that check what the client sent.
    token_requests: Vec<HashMap<String, String>>,
    /// Characters of filler added to every profile, as a broken or hostile provider might.
    profile_padding: usize,
}

/// The fake provider on a random local port.
#[derive(Clone)]
pub struct FakeOAuthServer {
    base_url: String,
    inner: Arc<Mutex<Inner>>,
}

/// The endpoints of one fake provider, to put in the client's configuration.
#[derive(Clone, Debug)]
pub struct FakeEndpoints {
    pub authorization_url: String,
    pub token_url: String,
    pub userinfo_url: String,
}

impl FakeOAuthServer {
    /// Starts serving; the server runs until the test's runtime ends.
    #[allow(clippy::expect_used)]
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding the fake OAuth port");
        let address = listener.local_addr().expect("reading the fake OAuth port");
        let server = Self {
            base_url: format!("http://{address}"),
            inner: Arc::new(Mutex::new(Inner::default())),
        };
        let app = Router::new()
            .route("/{provider}/token", post(token))
            .route("/{provider}/userinfo", get(userinfo))
            .route("/{provider}/oidc/userinfo", get(userinfo))
            .route("/{provider}/user", get(userinfo))
            .route("/{provider}/user/emails", get(github_emails))
            .route("/{provider}/users/@me", get(userinfo))
            .with_state(server.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        server
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers the client that may use `provider`.
    pub fn register_client(&self, provider: FakeProvider, client: FakeClient) {
        self.lock().clients.insert(provider, client);
    }

    pub fn endpoints(&self, provider: FakeProvider) -> FakeEndpoints {
        let base = format!("{}/{}", self.base_url, provider.slug());
        FakeEndpoints {
            authorization_url: format!("{base}/authorize"),
            token_url: format!("{base}/token"),
            userinfo_url: format!("{base}{}", provider.userinfo_path()),
        }
    }

    /// Makes the token endpoint answer 503 (or work again).
    pub fn set_unavailable(&self, unavailable: bool) {
        self.lock().unavailable = unavailable;
    }

    /// Adds a `padding` field of `characters` characters to every profile answer.
    pub fn pad_profiles(&self, characters: usize) {
        self.lock().profile_padding = characters;
    }

    /// The forms of all token requests so far.
    pub fn token_requests(&self) -> Vec<HashMap<String, String>> {
        self.lock().token_requests.clone()
    }

    /// `user` consents on the page `authorization_url` leads to. Checks the request as the
    /// provider would (the registered client and redirect URI, `response_type=code`, an S256
    /// PKCE challenge and a state) and returns the redirect back to the client with a fresh
    /// code and the state, or what the provider would have shown instead.
    pub fn consent(
        &self,
        authorization_url: &str,
        user: &FakeUser,
    ) -> Result<ConsentRedirect, String> {
        let url = url::Url::parse(authorization_url).map_err(|error| error.to_string())?;
        let provider = url
            .path()
            .strip_suffix("/authorize")
            .and_then(|prefix| FakeProvider::from_slug(prefix.trim_start_matches('/')))
            .ok_or_else(|| format!("not an authorization URL of this fake: {}", url.path()))?;
        if !authorization_url.starts_with(&self.base_url) {
            return Err("the authorization URL points at another server".to_owned());
        }
        let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
        let param = |name: &str| {
            query
                .get(name)
                .filter(|value| !value.is_empty())
                .cloned()
                .ok_or_else(|| format!("{name} is missing"))
        };
        let client_id = param("client_id")?;
        let redirect_uri = param("redirect_uri")?;
        let state = param("state")?;
        let code_challenge = param("code_challenge")?;
        if param("response_type")? != "code" {
            return Err("response_type must be code".to_owned());
        }
        if param("code_challenge_method")? != "S256" {
            return Err("code_challenge_method must be S256".to_owned());
        }
        param("scope")?;

        let mut inner = self.lock();
        let client = inner
            .clients
            .get(&provider)
            .ok_or_else(|| format!("no client registered for {}", provider.name()))?;
        if client.client_id != client_id {
            return Err(format!("unknown client_id {client_id}"));
        }
        if client.redirect_uri != redirect_uri {
            return Err(format!("redirect_uri {redirect_uri} is not registered"));
        }
        let code = Uuid::new_v4().simple().to_string();
        inner.codes.insert(
            code.clone(),
            Grant {
                provider,
                client_id,
                redirect_uri: redirect_uri.clone(),
                code_challenge,
                user: user.clone(),
            },
        );
        let mut back = url::Url::parse(&redirect_uri).map_err(|error| error.to_string())?;
        back.query_pairs_mut()
            .append_pair("code", &code)
            .append_pair("state", &state);
        Ok(ConsentRedirect {
            url: back.to_string(),
            code,
            state,
        })
    }
}

fn oauth_error(status: StatusCode, error: &str) -> Response {
    (
        status,
        Json(json!({ "error": error, "error_description": error })),
    )
        .into_response()
}

/// The token endpoint: `grant_type=authorization_code` with PKCE.
async fn token(
    State(server): State<FakeOAuthServer>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let Some(provider) = FakeProvider::from_slug(&slug) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut inner = server.lock();
    inner.token_requests.push(form.clone());
    if inner.unavailable {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let Some(client) = inner.clients.get(&provider).cloned() else {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    };

    // Client authentication: HTTP Basic, or client_id and client_secret in the form.
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic "))
        .and_then(|encoded| STANDARD.decode(encoded).ok())
        .and_then(|decoded| String::from_utf8(decoded).ok())
        .and_then(|pair| {
            let (id, secret) = pair.split_once(':')?;
            let decode = |part: &str| {
                url::form_urlencoded::parse(format!("x={part}").as_bytes())
                    .next()
                    .map(|(_, value)| value.into_owned())
            };
            Some((decode(id)?, decode(secret)?))
        });
    let (client_id, client_secret) = match basic {
        Some(credentials) => credentials,
        None => (
            form.get("client_id").cloned().unwrap_or_default(),
            form.get("client_secret").cloned().unwrap_or_default(),
        ),
    };
    if client_id != client.client_id || client_secret != client.client_secret {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    if form.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    }

    // A code works once, whatever the outcome of its first use.
    let code = form.get("code").cloned().unwrap_or_default();
    let Some(grant) = inner.codes.remove(&code) else {
        return bad_code(provider);
    };
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let valid = grant.provider == provider
        && grant.client_id == client_id
        && form.get("redirect_uri") == Some(&grant.redirect_uri)
        && challenge == grant.code_challenge;
    if !valid {
        return bad_code(provider);
    }

    let access_token = Uuid::new_v4().simple().to_string();
    inner
        .tokens
        .insert(access_token.clone(), (provider, grant.user));
    let token_type = if provider == FakeProvider::GitHub {
        "bearer"
    } else {
        "Bearer"
    };
    Json(json!({
        "access_token": access_token,
        "token_type": token_type,
        "expires_in": 3600,
        "scope": "whatever was asked",
    }))
    .into_response()
}

/// A refused code, the way each provider says it: GitHub with `200` and an error body, the
/// others with `400 invalid_grant`.
fn bad_code(provider: FakeProvider) -> Response {
    if provider == FakeProvider::GitHub {
        return Json(json!({
            "error": "bad_verification_code",
            "error_description": "The code passed is incorrect or expired.",
        }))
        .into_response();
    }
    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant")
}

/// The user behind the request's bearer token, if it was issued by `provider`.
fn bearer_user(
    server: &FakeOAuthServer,
    slug: &str,
    headers: &HeaderMap,
) -> Option<(FakeProvider, FakeUser)> {
    let provider = FakeProvider::from_slug(slug)?;
    let token = headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")?;
    let (issuer, user) = server.lock().tokens.get(token).cloned()?;
    (issuer == provider).then_some((provider, user))
}

/// The profile endpoint, in the JSON shape of the provider.
async fn userinfo(
    State(server): State<FakeOAuthServer>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some((provider, user)) = bearer_user(&server, &slug, &headers) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let mut body = match provider {
        FakeProvider::Google => json!({
            "sub": user.subject,
            "name": user.name,
            "given_name": "Test",
            "family_name": "User",
            "picture": "https://example.com/picture.png",
            "email": user.email,
            "email_verified": user.email_verified,
        }),
        // Microsoft's userinfo has no verification claim at all.
        FakeProvider::Microsoft => json!({
            "sub": user.subject,
            "name": user.name,
            "given_name": "Test",
            "family_name": "User",
            "picture": "https://graph.microsoft.com/v1.0/me/photo/$value",
            "email": user.email,
        }),
        // GitHub's public address is often null; the list at /user/emails tells more.
        FakeProvider::GitHub => json!({
            "login": "test-user",
            "id": user.subject.parse::<u64>().unwrap_or_default(),
            "node_id": "MDQ6VXNlcjE=",
            "type": "User",
            "name": user.name,
            "email": Value::Null,
        }),
        FakeProvider::Discord => json!({
            "id": user.subject,
            "username": "test-user",
            "global_name": user.name,
            "discriminator": "0",
            "avatar": Value::Null,
            "email": user.email,
            "verified": user.email_verified,
            "mfa_enabled": false,
        }),
    };
    let padding = server.lock().profile_padding;
    if padding > 0 {
        body["padding"] = Value::String("x".repeat(padding));
    }
    Json(body).into_response()
}

/// GitHub's `/user/emails`: the primary address, and a secondary one that is never verified.
async fn github_emails(
    State(server): State<FakeOAuthServer>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some((FakeProvider::GitHub, user)) = bearer_user(&server, &slug, &headers) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let mut emails = vec![json!({
        "email": "secondary@users.noreply.example",
        "primary": false,
        "verified": true,
        "visibility": Value::Null,
    })];
    if let Some(email) = user.email {
        emails.push(json!({
            "email": email,
            "primary": true,
            "verified": user.email_verified,
            "visibility": "private",
        }));
    }
    Json(Value::Array(emails)).into_response()
}
