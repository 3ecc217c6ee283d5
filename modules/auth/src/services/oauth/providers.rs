//! What Helium knows about each OAuth provider: its endpoints, the scopes it asks for, and
//! how to read a stable id and an email address out of its profile answer.

use serde::Deserialize;

use crate::config::OAuthProviderConfig;

/// A provider Helium can sign customers in with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provider {
    Google,
    Microsoft,
    GitHub,
    Discord,
}

/// The endpoints one configured provider is reached at.
#[derive(Clone, Debug)]
pub struct Endpoints {
    pub authorization_url: String,
    pub token_url: String,
    pub userinfo_url: String,
}

/// Who the provider says the customer is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    /// The provider's stable account id. Never the email, which can change hands.
    pub subject: String,
    pub email: Option<String>,
    /// Whether the provider vouches that the customer controls `email`. Only a vouched
    /// address may create an account or be matched to an existing one.
    pub email_verified: bool,
}

/// Why a profile could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// No answer, or an answer that is not a success: the provider is the problem.
    #[error("the provider did not answer the profile request: {0}")]
    Unreachable(#[from] reqwest::Error),
    /// An answer too large to read, or one that is not the JSON expected.
    #[error("the provider's profile could not be read: {0}")]
    Unreadable(String),
    /// A success without the fields Helium needs.
    #[error("the provider's profile lacks a stable account id")]
    NoSubject,
}

impl Provider {
    /// The provider of a configuration name, spelled as [`crate::config::OAUTH_PROVIDER_NAMES`].
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "Google" => Some(Self::Google),
            "Microsoft" => Some(Self::Microsoft),
            "GitHub" => Some(Self::GitHub),
            "Discord" => Some(Self::Discord),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Google => "Google",
            Self::Microsoft => "Microsoft",
            Self::GitHub => "GitHub",
            Self::Discord => "Discord",
        }
    }

    /// The least each provider must grant to identify the customer and their address.
    pub fn scopes(self) -> &'static [&'static str] {
        match self {
            Self::Google | Self::Microsoft => &["openid", "email", "profile"],
            Self::GitHub => &["read:user", "user:email"],
            Self::Discord => &["identify", "email"],
        }
    }

    /// The provider's real endpoints, replaced by whichever the configuration overrides.
    pub fn endpoints(self, config: &OAuthProviderConfig) -> Endpoints {
        let (authorization_url, token_url, userinfo_url) = match self {
            Self::Google => (
                "https://accounts.google.com/o/oauth2/v2/auth",
                "https://oauth2.googleapis.com/token",
                "https://openidconnect.googleapis.com/v1/userinfo",
            ),
            Self::Microsoft => (
                "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
                "https://login.microsoftonline.com/common/oauth2/v2.0/token",
                "https://graph.microsoft.com/oidc/userinfo",
            ),
            Self::GitHub => (
                "https://github.com/login/oauth/authorize",
                "https://github.com/login/oauth/access_token",
                "https://api.github.com/user",
            ),
            Self::Discord => (
                "https://discord.com/oauth2/authorize",
                "https://discord.com/api/oauth2/token",
                "https://discord.com/api/users/@me",
            ),
        };
        let pick = |custom: &Option<String>, default: &str| {
            custom.clone().unwrap_or_else(|| default.to_owned())
        };
        Endpoints {
            authorization_url: pick(&config.authorization_url, authorization_url),
            token_url: pick(&config.token_url, token_url),
            userinfo_url: pick(&config.userinfo_url, userinfo_url),
        }
    }

    /// Reads the customer's profile with an access token.
    pub async fn fetch_profile(
        self,
        client: &reqwest::Client,
        userinfo_url: &str,
        access_token: &str,
    ) -> Result<Profile, ProfileError> {
        match self {
            Self::Google => {
                let info: OpenIdUserInfo = get_json(client, userinfo_url, access_token).await?;
                Ok(Profile {
                    subject: non_empty(info.sub)?,
                    email: info.email,
                    email_verified: info.email_verified.unwrap_or(false),
                })
            }
            Self::Microsoft => {
                let info: OpenIdUserInfo = get_json(client, userinfo_url, access_token).await?;
                Ok(Profile {
                    subject: non_empty(info.sub)?,
                    email: info.email,
                    // Microsoft lets a tenant put any address in the email claim, verified or
                    // not, so trusting it would let one tenant's admin sign in as anybody
                    // ("nOAuth"). The address is shown, never trusted.
                    email_verified: false,
                })
            }
            Self::GitHub => {
                let user: GitHubUser = get_json(client, userinfo_url, access_token).await?;
                let emails_url = format!("{}/emails", userinfo_url.trim_end_matches('/'));
                let emails: Vec<GitHubEmail> = get_json(client, &emails_url, access_token).await?;
                let primary = emails.into_iter().find(|entry| entry.primary);
                Ok(Profile {
                    subject: user.id.to_string(),
                    email_verified: primary.as_ref().is_some_and(|entry| entry.verified),
                    email: primary.map(|entry| entry.email).or(user.email),
                })
            }
            Self::Discord => {
                let user: DiscordUser = get_json(client, userinfo_url, access_token).await?;
                Ok(Profile {
                    subject: non_empty(user.id)?,
                    email_verified: user.email.is_some() && user.verified.unwrap_or(false),
                    email: user.email,
                })
            }
        }
    }
}

/// The OpenID Connect userinfo answer of Google and Microsoft.
#[derive(Deserialize)]
struct OpenIdUserInfo {
    sub: String,
    email: Option<String>,
    email_verified: Option<bool>,
}

/// GitHub's `/user`.
#[derive(Deserialize)]
struct GitHubUser {
    id: u64,
    /// The public address, which may be unset or unverified; `/user/emails` says more.
    email: Option<String>,
}

/// One entry of GitHub's `/user/emails`.
#[derive(Deserialize)]
struct GitHubEmail {
    email: String,
    primary: bool,
    verified: bool,
}

/// Discord's `/users/@me`.
#[derive(Deserialize)]
struct DiscordUser {
    id: String,
    email: Option<String>,
    verified: Option<bool>,
}

async fn get_json<T: serde::de::DeserializeOwned>(
    client: &reqwest::Client,
    url: &str,
    access_token: &str,
) -> Result<T, ProfileError> {
    let mut response = client
        .get(url)
        .bearer_auth(access_token)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await?
        .error_for_status()?;
    let body = super::http::read_body(&mut response)
        .await
        .map_err(|error| ProfileError::Unreadable(error.to_string()))?;
    serde_json::from_slice(&body).map_err(|error| ProfileError::Unreadable(error.to_string()))
}

fn non_empty(subject: String) -> Result<String, ProfileError> {
    if subject.trim().is_empty() {
        Err(ProfileError::NoSubject)
    } else {
        Ok(subject)
    }
}
