//! Secrets handed to a person once: credentials, invitation tokens, access tokens.

use std::fmt;

use helium_framework::tokens::{random_secret, secret_hash};

/// A secret string whose `Debug` output is redacted, so that it cannot reach a log line by
/// accident through a `{:?}` or a `tracing` field. Reading it takes a deliberate
/// [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// A fresh random secret of 256 bits.
    pub fn generate() -> Self {
        Self(random_secret())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The SHA-256 the database keeps instead of the secret.
    pub fn hash(&self) -> Vec<u8> {
        secret_hash(&self.0)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("Secret(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_secret() {
        let secret = Secret::generate();

        let printed = format!("{secret:?}");

        assert_eq!(printed, "Secret(<redacted>)");
        assert!(!printed.contains(secret.expose()));
    }
}
