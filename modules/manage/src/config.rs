//! The `admin-jwt` configuration: how admin access tokens are signed and checked.

use helium_framework::config::{FieldError, ModuleConfig, Seconds, SecretString, validate};
use serde::{Deserialize, Serialize};

/// Admin tokens use their own secret and audience, so a customer token can never pass as an
/// admin token or the other way round.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminJwtConfig {
    /// HMAC signing secret; at least 32 characters.
    pub secret: SecretString,
    /// Lifetime of an admin token.
    pub token_expiration: Seconds,
    pub issuer: String,
    pub audience: String,
}

impl ModuleConfig for AdminJwtConfig {
    const KEY: &'static str = "admin-jwt";
    const DISPLAY_NAME: &'static str = "Admin JWT";

    fn defaults() -> Self {
        Self {
            secret: helium_framework::config::random_secret().into(),
            token_expiration: Seconds(864_000),
            issuer: "https://admin.your-domain.com".to_owned(),
            audience: "HeliumAdmin".to_owned(),
        }
    }

    fn validate(&self) -> Result<(), FieldError> {
        validate::secret("secret", self.secret.expose())?;
        validate::positive("token_expiration", self.token_expiration)?;
        validate::not_blank("issuer", &self.issuer)?;
        validate::not_blank("audience", &self.audience)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use helium_framework::config::{ConfigError, parse};

    #[test]
    fn defaults_are_valid_and_carry_a_fresh_secret() {
        let first = AdminJwtConfig::defaults();
        let second = AdminJwtConfig::defaults();

        assert!(first.validate().is_ok());
        assert_ne!(first.secret, second.secret);
    }

    #[test]
    fn the_documented_example_parses() {
        let json = r#"{
            "secret": "admin-jwt-secret-key-32-characters-long",
            "token_expiration": "864000",
            "issuer": "https://admin.your-domain.com",
            "audience": "HeliumAdmin"
        }"#;

        let config: AdminJwtConfig = parse(json).unwrap();

        assert_eq!(config.token_expiration, Seconds(864_000));
    }

    #[test]
    fn a_short_secret_is_refused_by_name() {
        let json = r#"{"secret": "short", "token_expiration": "60",
                       "issuer": "i", "audience": "a"}"#;

        let error = parse::<AdminJwtConfig>(json).unwrap_err();

        assert!(matches!(error, ConfigError::Invalid(_)));
        assert_eq!(
            error.to_string(),
            "secret: must be at least 32 characters long"
        );
    }
}
