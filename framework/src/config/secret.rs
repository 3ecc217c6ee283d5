//! A configuration value that must never be printed: a signing key, a client secret, a
//! password.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A secret string in a configuration document.
///
/// Stored and parsed exactly like a plain JSON string, so documents keep their shape; only
/// `Debug` differs, printing `"<redacted>"`, so a configuration that reaches a log line or an
/// error message through `{:?}` carries no secret with it. Reading the value takes an explicit
/// [`SecretString::expose`], which makes every use easy to find.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that signs, authenticates or logs in with it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("\"<redacted>\"")
    }
}

impl From<String> for SecretString {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for SecretString {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_value_and_json_keeps_it() {
        let secret = SecretString::from("a-signing-key-of-at-least-32-chars!");

        assert_eq!(format!("{secret:?}"), "\"<redacted>\"");
        let json = serde_json::to_string(&secret).unwrap();
        assert_eq!(json, "\"a-signing-key-of-at-least-32-chars!\"");
        let parsed: SecretString = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed.expose(), secret.expose());
    }
}
