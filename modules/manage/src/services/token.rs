//! Admin access tokens: JWTs signed with the `admin-jwt` configuration.
//!
//! A token names its admin (`sub`), the role at sign-in (`role`, for the frontend's benefit)
//! and the credential it was signed in with (`sid`). The signature and expiry are checked by
//! [`AdminTokens::verify`]; whether `sid` is still the admin's current credential is checked
//! against the database on every request by the caller of `verify`. That second check is what
//! lets a rotation or a deletion end every session at once, with no revocation list to keep.

use chrono::{DateTime, Duration, Utc};
use helium_framework::config::ConfigStore;
use helium_framework::error::ServiceError;
use helium_framework::tokens::JwtCodec;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::config::AdminJwtConfig;
use crate::services::admin_account::AdminAccount;
use crate::services::secret::Secret;

/// The claims of an admin access token.
#[derive(Debug, Serialize, Deserialize)]
struct AdminClaims {
    iss: String,
    aud: String,
    /// The admin's id.
    sub: String,
    /// The admin's role when the token was issued. Authorization reads the stored role
    /// instead, so a role change applies to existing tokens at once.
    role: String,
    /// The session: the id of the credential the admin signed in with.
    sid: String,
    /// This token's own id, so two tokens of one session never look the same.
    jti: String,
    iat: i64,
    exp: i64,
}

/// A signed access token and when it expires.
#[derive(Clone, Debug)]
pub struct AccessToken {
    pub token: Secret,
    pub expires_at: DateTime<Utc>,
}

/// Who a verified token speaks for. The session must still be checked against the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenSubject {
    pub admin_id: Uuid,
    pub credential_id: Uuid,
}

/// Issues and verifies admin access tokens with the current `admin-jwt` configuration.
#[derive(Clone)]
pub struct AdminTokens {
    configs: ConfigStore,
}

impl AdminTokens {
    pub fn new(configs: ConfigStore) -> Self {
        Self { configs }
    }

    /// The configuration is read on every call (from Redis), so a changed secret or lifetime
    /// takes effect without a restart.
    async fn codec(&self) -> Result<(JwtCodec, AdminJwtConfig), ServiceError> {
        let config: AdminJwtConfig = self.configs.load().await.map_err(ServiceError::internal)?;
        let codec = JwtCodec::new(config.secret.expose(), &config.issuer)?;
        Ok((codec, config))
    }

    /// A token for `admin`'s session on the credential `credential_id`.
    pub async fn issue(
        &self,
        admin: &AdminAccount,
        credential_id: Uuid,
    ) -> Result<AccessToken, ServiceError> {
        let (codec, config) = self.codec().await?;
        let lifetime = i64::try_from(config.token_expiration.0).map_err(ServiceError::internal)?;
        let issued_at = Utc::now();
        let expires_at = issued_at + Duration::seconds(lifetime);

        let claims = AdminClaims {
            iss: config.issuer,
            aud: config.audience,
            sub: admin.id.to_string(),
            role: admin.role.as_db().to_owned(),
            sid: credential_id.to_string(),
            jti: Uuid::now_v7().to_string(),
            iat: issued_at.timestamp(),
            exp: expires_at.timestamp(),
        };
        let token = codec.issue(&claims)?;
        Ok(AccessToken {
            token: Secret::from(token),
            expires_at,
        })
    }

    /// Checks the signature, issuer, expiry and that the audience is exactly the admin
    /// audience. A customer token fails here: it is signed with the `auth` secret and carries
    /// another audience.
    ///
    /// # Errors
    ///
    /// [`ServiceError::Unauthenticated`] for any token that is not a valid admin token.
    pub async fn verify(&self, token: &str) -> Result<TokenSubject, ServiceError> {
        let (codec, config) = self.codec().await?;
        let claims: AdminClaims = codec.verify(token, &config.audience)?;

        let malformed = || ServiceError::Unauthenticated("the token is not an admin token".into());
        let admin_id = Uuid::parse_str(&claims.sub).map_err(|_| malformed())?;
        let credential_id = Uuid::parse_str(&claims.sid).map_err(|_| malformed())?;
        Ok(TokenSubject {
            admin_id,
            credential_id,
        })
    }
}
