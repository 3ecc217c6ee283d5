//! Typed module configuration, stored in PostgreSQL and copied to Redis.
//!
//! Each module owns one JSON document in `public.application__config` under its key (`auth`,
//! `admin-jwt`, ...), described by a struct implementing [`ModuleConfig`]. Parsing is strict:
//! every field must be present with the right type, unknown fields are refused (they are
//! almost always typos), and [`ModuleConfig::validate`] checks the values. A failure names the
//! field, so an operator can fix the document without reading code.
//!
//! Workers read through Redis ([`ConfigStore::load`]); [`ConfigStore::watch`] keeps that copy
//! in step with PostgreSQL, including edits made by hand in SQL.

mod seconds;
mod secret;
mod store;
pub mod validate;

pub use seconds::Seconds;
pub use secret::SecretString;
pub use store::ConfigStore;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// A module's configuration document.
pub trait ModuleConfig: Clone + Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The key in `application__config`.
    const KEY: &'static str;
    /// How operators see the type, e.g. `Admin JWT`.
    const DISPLAY_NAME: &'static str;

    /// The defaults `helium-cli init-config` writes. Secrets are generated fresh on each call,
    /// so no two deployments share one.
    fn defaults() -> Self;

    /// Checks the values; types and presence were checked by parsing.
    fn validate(&self) -> Result<(), FieldError>;
}

/// One problem with one field, as `jwt.secret: must be at least 32 characters long`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct FieldError {
    /// The dotted path of the field, e.g. `oauth_providers.providers[1].redirect_uri`.
    pub field: String,
    pub reason: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// Prefixes the field path with the path of the struct it sits in.
    pub fn within(self, parent: &str) -> Self {
        Self {
            field: format!("{parent}.{}", self.field),
            reason: self.reason,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The document is not JSON, or a field is missing, unknown or of the wrong type.
    #[error("{0}")]
    Malformed(String),
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error("no `{0}` configuration is stored; run `helium-cli init-config`")]
    Missing(&'static str),
    #[error("configuration storage failed: {0}")]
    Database(#[from] sqlx::Error),
    #[error("configuration cache failed: {0}")]
    Redis(#[from] crate::redis::RedisError),
}

/// Parses and validates a configuration document.
pub fn parse<C: ModuleConfig>(json: &str) -> Result<C, ConfigError> {
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let config: C = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if path.is_empty() || path == "." {
            ConfigError::Malformed(inner.to_string())
        } else {
            ConfigError::Malformed(format!("{path}: {inner}"))
        }
    })?;
    config.validate()?;
    Ok(config)
}

/// Parses and validates an already decoded JSON value.
pub fn from_value<C: ModuleConfig>(value: serde_json::Value) -> Result<C, ConfigError> {
    parse(&value.to_string())
}

/// A fresh random secret of 48 alphanumeric characters, for generated defaults.
pub fn random_secret() -> String {
    use rand::Rng;
    use rand::distr::Alphanumeric;

    rand::rng()
        .sample_iter(Alphanumeric)
        .take(48)
        .map(char::from)
        .collect()
}
