//! Signed access tokens, opaque secrets and the `authorization` header.
//!
//! Customer and admin tokens are HS256 JWTs signed with their module's secret and checked
//! against an exact audience, so a token made for one side is refused by the other even if an
//! operator reused a secret. Everything that must be revocable or single-use (refresh tokens,
//! email links, credentials) is instead an opaque random secret stored only as its SHA-256
//! hash: a database leak then yields nothing that can be replayed.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore as _;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::error::ServiceError;

/// Signs and verifies the JWTs of one issuer and secret.
#[derive(Clone)]
pub struct JwtCodec {
    encoding: EncodingKey,
    decoding: DecodingKey,
    issuer: String,
}

/// Why a token was refused. The messages are safe to show a caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token has expired")]
    Expired,
    #[error("the token is not meant for this service")]
    WrongAudience,
    #[error("the token is malformed or its signature is invalid")]
    Invalid,
}

impl From<TokenError> for ServiceError {
    fn from(error: TokenError) -> Self {
        ServiceError::Unauthenticated(error.to_string())
    }
}

impl JwtCodec {
    pub fn new(secret: &str, issuer: &str) -> Result<Self, ServiceError> {
        let encoding =
            EncodingKey::from_secret(secret.as_bytes()).map_err(ServiceError::internal)?;
        let decoding =
            DecodingKey::from_secret(secret.as_bytes()).map_err(ServiceError::internal)?;
        Ok(Self {
            encoding,
            decoding,
            issuer: issuer.to_owned(),
        })
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Signs `claims`, which must carry `iss`, `aud`, `sub` and `exp`.
    pub fn issue<C: Serialize>(&self, claims: &C) -> Result<String, ServiceError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(ServiceError::internal)
    }

    /// Verifies signature, issuer, expiry and that `audience` is exactly the token's audience.
    pub fn verify<C: DeserializeOwned>(
        &self,
        token: &str,
        audience: &str,
    ) -> Result<C, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[audience]);
        validation.set_issuer(&[&self.issuer]);
        validation.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
        // Clocks of a horizontally scaled deployment drift a little; a few seconds of grace
        // avoid refusing a token that another replica has just issued.
        validation.leeway = 5;
        jsonwebtoken::decode::<C>(token, &self.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|error| match error.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                ErrorKind::InvalidAudience => TokenError::WrongAudience,
                _ => TokenError::Invalid,
            })
    }
}

/// A fresh secret of 32 random bytes, URL-safe base64 without padding (43 characters).
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The SHA-256 of a secret, which is all the database keeps of it. A fast hash is right here
/// (unlike for passwords): the secret has 256 bits of entropy, so there is nothing to guess.
pub fn secret_hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// The token of an `authorization: Bearer <token>` header.
pub fn bearer_token(metadata: &tonic::metadata::MetadataMap) -> Result<&str, ServiceError> {
    let header = metadata.get("authorization").ok_or_else(|| {
        ServiceError::Unauthenticated("sign in first: no authorization header".into())
    })?;
    let value = header.to_str().map_err(|_| {
        ServiceError::Unauthenticated("the authorization header is not text".into())
    })?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or_else(|| {
            ServiceError::Unauthenticated(
                "the authorization header must be `Bearer <token>`".into(),
            )
        })?;
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Claims {
        iss: String,
        aud: String,
        sub: String,
        exp: i64,
    }

    fn claims(aud: &str, exp_offset: i64) -> Claims {
        Claims {
            iss: "https://helium.test".into(),
            aud: aud.into(),
            sub: "user-1".into(),
            exp: chrono::Utc::now().timestamp() + exp_offset,
        }
    }

    fn codec() -> JwtCodec {
        JwtCodec::new("0123456789abcdef0123456789abcdef", "https://helium.test").unwrap()
    }

    #[test]
    fn a_token_verifies_only_for_its_own_audience() {
        let token = codec().issue(&claims("customer", 60)).unwrap();

        assert_eq!(
            codec().verify::<Claims>(&token, "customer").unwrap().sub,
            "user-1"
        );
        assert_eq!(
            codec().verify::<Claims>(&token, "admin"),
            Err(TokenError::WrongAudience)
        );
    }

    #[test]
    fn expired_tampered_and_foreign_tokens_are_refused() {
        let expired = codec().issue(&claims("customer", -60)).unwrap();
        let mut tampered = codec().issue(&claims("customer", 60)).unwrap();
        tampered.push('x');
        let other_secret = JwtCodec::new("another-secret-another-secret-xx", "https://helium.test")
            .unwrap()
            .issue(&claims("customer", 60))
            .unwrap();

        assert_eq!(
            codec().verify::<Claims>(&expired, "customer"),
            Err(TokenError::Expired)
        );
        assert_eq!(
            codec().verify::<Claims>(&tampered, "customer"),
            Err(TokenError::Invalid)
        );
        assert_eq!(
            codec().verify::<Claims>(&other_secret, "customer"),
            Err(TokenError::Invalid)
        );
        assert_eq!(
            codec().verify::<Claims>("not.a.jwt", "customer"),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn secrets_are_random_and_hashed_consistently() {
        let (first, second) = (random_secret(), random_secret());

        assert_ne!(first, second);
        assert_eq!(first.len(), 43);
        assert_eq!(secret_hash(&first), secret_hash(&first));
        assert_ne!(secret_hash(&first), secret_hash(&second));
    }

    #[test]
    fn the_bearer_header_is_parsed_strictly() {
        let mut metadata = tonic::metadata::MetadataMap::new();
        assert!(bearer_token(&metadata).is_err());

        metadata.insert("authorization", "Basic abc".parse().unwrap());
        assert!(bearer_token(&metadata).is_err());

        metadata.insert("authorization", "Bearer abc.def".parse().unwrap());
        assert_eq!(bearer_token(&metadata).unwrap(), "abc.def");
    }
}
