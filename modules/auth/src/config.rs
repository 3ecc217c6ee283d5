//! The `auth` configuration: registration email, JWT sessions and OAuth providers.

use std::collections::HashSet;

use helium_framework::config::{
    FieldError, ModuleConfig, Seconds, SecretString, random_secret, validate,
};
use serde::{Deserialize, Serialize};

/// The OAuth providers Helium knows how to talk to, spelled as the configuration spells them.
pub const OAUTH_PROVIDER_NAMES: [&str; 4] = ["Google", "Microsoft", "GitHub", "Discord"];

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    pub email_provider: EmailProviderConfig,
    pub jwt: JwtConfig,
    pub oauth_providers: OAuthProvidersConfig,
    /// Where emailed links lead and how registration ends. Optional in stored documents, so
    /// configurations written before it existed keep working.
    #[serde(default)]
    pub frontend: FrontendConfig,
}

/// The operator's customer frontend, as the emails and the registration flow need it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrontendConfig {
    /// The service's name as customers know it, used in emails.
    pub product_name: String,
    /// The page that finishes a registration; `{TOKEN}` is replaced by the link's token.
    pub registration_url_template: String,
    /// The page that sets a new password; `{TOKEN}` is replaced by the link's token.
    pub password_reset_url_template: String,
    /// The page that confirms a new email address; `{TOKEN}` is replaced by the link's token.
    /// Unset, it is `/confirm-email?token={TOKEN}` on the registration page's site, so a
    /// configuration written before this field existed sends working links.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_change_url_template: Option<String>,
    /// Whether finishing a registration signs the customer in at once.
    pub auto_login: bool,
    /// Where customers can write for help; named in every email when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_email: Option<String>,
}

/// The placeholder the frontend URL templates must contain.
pub const TOKEN_PLACEHOLDER: &str = "{TOKEN}";

impl Default for FrontendConfig {
    fn default() -> Self {
        Self {
            product_name: "Helium".to_owned(),
            registration_url_template: "https://your-domain.com/register?token={TOKEN}".to_owned(),
            password_reset_url_template: "https://your-domain.com/reset-password?token={TOKEN}"
                .to_owned(),
            email_change_url_template: None,
            auto_login: true,
            support_email: None,
        }
    }
}

impl FrontendConfig {
    fn validate(&self) -> Result<(), FieldError> {
        validate::not_blank("product_name", &self.product_name)?;
        if let Some(support_email) = &self.support_email {
            validate::email("support_email", support_email)?;
        }
        let email_change = self.email_change_url_template();
        for (field, template) in [
            ("registration_url_template", &self.registration_url_template),
            (
                "password_reset_url_template",
                &self.password_reset_url_template,
            ),
            ("email_change_url_template", &email_change),
        ] {
            if !template.contains(TOKEN_PLACEHOLDER) {
                return Err(FieldError::new(
                    field,
                    format!("must contain {TOKEN_PLACEHOLDER}"),
                ));
            }
            validate::http_url(field, &template.replace(TOKEN_PLACEHOLDER, "token"))?;
        }
        Ok(())
    }

    /// The registration link for `token`.
    pub fn registration_link(&self, token: &str) -> String {
        self.registration_url_template
            .replace(TOKEN_PLACEHOLDER, token)
    }

    /// The password-reset link for `token`.
    pub fn password_reset_link(&self, token: &str) -> String {
        self.password_reset_url_template
            .replace(TOKEN_PLACEHOLDER, token)
    }

    /// The email-change confirmation link for `token`.
    pub fn email_change_link(&self, token: &str) -> String {
        self.email_change_url_template()
            .replace(TOKEN_PLACEHOLDER, token)
    }

    /// The configured email-change template, or the default on the registration page's site:
    /// its scheme and host (`https://vpn.example.com`) followed by `/confirm-email?token=`.
    pub fn email_change_url_template(&self) -> String {
        if let Some(template) = &self.email_change_url_template {
            return template.clone();
        }
        let registration = &self.registration_url_template;
        let host_start = registration.find("://").map_or(0, |index| index + 3);
        let site_end = registration[host_start..]
            .find(['/', '?', '#'])
            .map_or(registration.len(), |index| host_start + index);
        format!(
            "{}/confirm-email?token={TOKEN_PLACEHOLDER}",
            &registration[..site_end]
        )
    }
}

/// Sign-up and sign-in by email: which domains may register and how long links live.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailProviderConfig {
    pub register_domain: RegisterDomainConfig,
    /// How long a one-time code stays valid.
    pub otp_expire_after: Seconds,
    /// Age after which spent or expired codes are purged.
    pub delete_otp_before: Seconds,
    /// How long a registration or reset link stays valid.
    pub magic_link_expire_after: Seconds,
    /// Age after which spent or expired links are purged.
    pub magic_link_delete_before: Seconds,
    /// The least time between two emails to the same address.
    pub resend_interval: Seconds,
}

/// Domain lists for registration. With both lists off, any domain may register.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterDomainConfig {
    pub enable_white_list: bool,
    pub white_list: Vec<String>,
    pub enable_black_list: bool,
    pub black_list: Vec<String>,
}

/// Customer session tokens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtConfig {
    /// HMAC signing secret; at least 32 characters.
    pub secret: SecretString,
    pub refresh_token_expiration: Seconds,
    pub access_token_expiration: Seconds,
    pub issuer: String,
    pub access_audience: String,
    /// Differs from `access_audience`, so a refresh token is never accepted as access.
    pub refresh_audience: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthProvidersConfig {
    pub providers: Vec<OAuthProviderConfig>,
    /// How long the state and PKCE verifier of a started sign-in are kept.
    pub challenge_expiration: Seconds,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthProviderConfig {
    /// One of [`OAUTH_PROVIDER_NAMES`].
    pub name: String,
    pub client_id: String,
    pub client_secret: SecretString,
    pub redirect_uri: String,
    /// Where to send the customer to consent, when not the provider's own page. For tests and
    /// special tenants (such as one Microsoft Entra tenant instead of `common`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_url: Option<String>,
    /// Where to exchange the code for a token, when not the provider's own endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_url: Option<String>,
    /// Where to read the customer's profile, when not the provider's own endpoint. For GitHub
    /// the address list is read from `<userinfo_url>/emails`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userinfo_url: Option<String>,
}

impl ModuleConfig for AuthConfig {
    const KEY: &'static str = "auth";
    const DISPLAY_NAME: &'static str = "Auth";

    fn defaults() -> Self {
        Self {
            email_provider: EmailProviderConfig {
                register_domain: RegisterDomainConfig {
                    enable_white_list: false,
                    white_list: Vec::new(),
                    enable_black_list: false,
                    black_list: Vec::new(),
                },
                otp_expire_after: Seconds(300),
                delete_otp_before: Seconds(7200),
                magic_link_expire_after: Seconds(1800),
                magic_link_delete_before: Seconds(14_400),
                resend_interval: Seconds(30),
            },
            jwt: JwtConfig {
                secret: random_secret().into(),
                refresh_token_expiration: Seconds(2_592_000),
                access_token_expiration: Seconds(900),
                issuer: "https://your-domain.com".to_owned(),
                access_audience: "helium_cloud".to_owned(),
                refresh_audience: "helium_cloud_auth".to_owned(),
            },
            // Providers need credentials only the operator has; none is enabled by default.
            oauth_providers: OAuthProvidersConfig {
                providers: Vec::new(),
                challenge_expiration: Seconds(300),
            },
            frontend: FrontendConfig::default(),
        }
    }

    fn validate(&self) -> Result<(), FieldError> {
        self.email_provider
            .validate()
            .map_err(|error| error.within("email_provider"))?;
        self.jwt.validate().map_err(|error| error.within("jwt"))?;
        self.oauth_providers
            .validate()
            .map_err(|error| error.within("oauth_providers"))?;
        self.frontend
            .validate()
            .map_err(|error| error.within("frontend"))
    }
}

impl EmailProviderConfig {
    fn validate(&self) -> Result<(), FieldError> {
        let domains = &self.register_domain;
        for (list, entries) in [
            ("white_list", &domains.white_list),
            ("black_list", &domains.black_list),
        ] {
            for (index, domain) in entries.iter().enumerate() {
                let plausible = !domain.is_empty()
                    && !domain.contains('@')
                    && !domain.chars().any(char::is_whitespace);
                if !plausible {
                    let field = format!("register_domain.{list}[{index}]");
                    return Err(FieldError::new(
                        field,
                        format!("{domain:?} is not a domain name"),
                    ));
                }
            }
        }
        validate::positive("otp_expire_after", self.otp_expire_after)?;
        validate::positive("magic_link_expire_after", self.magic_link_expire_after)?;
        if self.delete_otp_before < self.otp_expire_after {
            return Err(FieldError::new(
                "delete_otp_before",
                "must not be shorter than otp_expire_after, or live codes would be purged",
            ));
        }
        if self.magic_link_delete_before < self.magic_link_expire_after {
            return Err(FieldError::new(
                "magic_link_delete_before",
                "must not be shorter than magic_link_expire_after, or live links would be purged",
            ));
        }
        Ok(())
    }
}

impl JwtConfig {
    fn validate(&self) -> Result<(), FieldError> {
        validate::secret("secret", self.secret.expose())?;
        validate::positive("access_token_expiration", self.access_token_expiration)?;
        if self.refresh_token_expiration <= self.access_token_expiration {
            return Err(FieldError::new(
                "refresh_token_expiration",
                "must be longer than access_token_expiration",
            ));
        }
        validate::not_blank("issuer", &self.issuer)?;
        validate::not_blank("access_audience", &self.access_audience)?;
        validate::not_blank("refresh_audience", &self.refresh_audience)?;
        if self.access_audience == self.refresh_audience {
            return Err(FieldError::new(
                "refresh_audience",
                "must differ from access_audience, or refresh tokens would pass as access tokens",
            ));
        }
        Ok(())
    }
}

impl OAuthProvidersConfig {
    fn validate(&self) -> Result<(), FieldError> {
        validate::positive("challenge_expiration", self.challenge_expiration)?;
        let mut seen = HashSet::new();
        for (index, provider) in self.providers.iter().enumerate() {
            let within = format!("providers[{index}]");
            provider.validate().map_err(|error| error.within(&within))?;
            if !seen.insert(provider.name.as_str()) {
                return Err(FieldError::new(
                    format!("{within}.name"),
                    format!("{} is configured twice", provider.name),
                ));
            }
        }
        Ok(())
    }
}

impl OAuthProviderConfig {
    fn validate(&self) -> Result<(), FieldError> {
        if !OAUTH_PROVIDER_NAMES.contains(&self.name.as_str()) {
            return Err(FieldError::new(
                "name",
                format!(
                    "{:?} is not one of {}",
                    self.name,
                    OAUTH_PROVIDER_NAMES.join(", ")
                ),
            ));
        }
        validate::not_blank("client_id", &self.client_id)?;
        validate::not_blank("client_secret", self.client_secret.expose())?;
        validate::http_url("redirect_uri", &self.redirect_uri)?;
        for (field, url) in [
            ("authorization_url", &self.authorization_url),
            ("token_url", &self.token_url),
            ("userinfo_url", &self.userinfo_url),
        ] {
            if let Some(url) = url {
                validate::http_url(field, url)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use helium_framework::config::parse;

    #[test]
    fn debug_output_names_no_secret() {
        let mut config = AuthConfig::defaults();
        config.oauth_providers.providers.push(OAuthProviderConfig {
            name: "GitHub".into(),
            client_id: "client-id".into(),
            client_secret: "github-client-secret".into(),
            redirect_uri: "https://app.test/oauth".into(),
            authorization_url: None,
            token_url: None,
            userinfo_url: None,
        });

        let printed = format!("{config:?}");

        assert!(!printed.contains(config.jwt.secret.expose()));
        assert!(!printed.contains("github-client-secret"));
        assert!(printed.contains("client-id"));
    }

    fn documented_example() -> serde_json::Value {
        serde_json::json!({
            "email_provider": {
                "register_domain": {
                    "enable_white_list": false, "white_list": [],
                    "enable_black_list": false, "black_list": []
                },
                "otp_expire_after": "300", "delete_otp_before": "7200",
                "magic_link_expire_after": "1800", "magic_link_delete_before": "14400",
                "resend_interval": "30"
            },
            "jwt": {
                "secret": "your-jwt-secret-key-32-characters-long",
                "refresh_token_expiration": "2592000", "access_token_expiration": "900",
                "issuer": "https://your-domain.com",
                "access_audience": "helium_cloud", "refresh_audience": "helium_cloud_auth"
            },
            "oauth_providers": {
                "providers": [{
                    "name": "Google", "client_id": "id", "client_secret": "secret",
                    "redirect_uri": "https://your-domain.com/auth/oauth/google/callback"
                }],
                "challenge_expiration": "300"
            }
        })
    }

    fn parse_value(value: &serde_json::Value) -> Result<AuthConfig, String> {
        parse::<AuthConfig>(&value.to_string()).map_err(|error| error.to_string())
    }

    #[test]
    fn the_email_change_link_defaults_to_the_registration_site() {
        let mut frontend = FrontendConfig {
            registration_url_template: "https://vpn.example.com/join?token={TOKEN}".into(),
            ..FrontendConfig::default()
        };
        assert_eq!(
            frontend.email_change_link("abc"),
            "https://vpn.example.com/confirm-email?token=abc"
        );

        frontend.email_change_url_template = Some("https://a.example/e/{TOKEN}".into());
        assert_eq!(frontend.email_change_link("abc"), "https://a.example/e/abc");
        frontend.email_change_url_template = Some("https://a.example/e".into());
        assert!(frontend.validate().is_err());
    }

    #[test]
    fn defaults_and_the_documented_example_are_valid() {
        assert!(AuthConfig::defaults().validate().is_ok());
        assert!(parse_value(&documented_example()).is_ok());
    }

    #[test]
    fn errors_name_the_offending_field() {
        let mut config = documented_example();
        config["oauth_providers"]["providers"][0]["name"] = "MySpace".into();
        assert_eq!(
            parse_value(&config).unwrap_err(),
            "oauth_providers.providers[0].name: \"MySpace\" is not one of Google, Microsoft, \
             GitHub, Discord"
        );

        let mut config = documented_example();
        config["jwt"]["access_token_expiration"] = 900.into();
        assert!(
            parse_value(&config)
                .unwrap_err()
                .starts_with("jwt.access_token_expiration:")
        );

        let mut config = documented_example();
        config["jwt"]["refresh_audience"] = "helium_cloud".into();
        assert!(
            parse_value(&config)
                .unwrap_err()
                .starts_with("jwt.refresh_audience:")
        );
    }

    #[test]
    fn endpoint_overrides_are_optional_and_checked() {
        let config = parse_value(&documented_example()).unwrap();
        let google = &config.oauth_providers.providers[0];
        assert_eq!(google.authorization_url, None);
        let written = serde_json::to_value(google).unwrap();
        assert!(written.get("token_url").is_none());

        let mut config = documented_example();
        config["oauth_providers"]["providers"][0]["token_url"] = "http://127.0.0.1:9/token".into();
        let parsed = parse_value(&config).unwrap();
        assert_eq!(
            parsed.oauth_providers.providers[0].token_url.as_deref(),
            Some("http://127.0.0.1:9/token")
        );

        config["oauth_providers"]["providers"][0]["userinfo_url"] = "not a url".into();
        assert!(
            parse_value(&config)
                .unwrap_err()
                .starts_with("oauth_providers.providers[0].userinfo_url:")
        );
    }

    #[test]
    fn missing_and_unknown_fields_are_refused() {
        let mut config = documented_example();
        config["jwt"].as_object_mut().unwrap().remove("issuer");
        assert!(
            parse_value(&config)
                .unwrap_err()
                .contains("missing field `issuer`")
        );

        let mut config = documented_example();
        config["jwt"]["secert"] = "typo".into();
        assert!(
            parse_value(&config)
                .unwrap_err()
                .contains("unknown field `secert`")
        );
    }
}
