//! Admin credentials and sessions: signing in, checking a token, rotating one's credential.
//!
//! A credential is a random secret shown to its owner once and stored only as its hash. Each
//! admin has at most one; replacing it ends every session signed in with the old one, because
//! an access token is accepted only while its `sid` is the admin's current credential id.

use helium_framework::error::ServiceError;
use helium_framework::processor::{DatabaseProcessor, Processor};
use helium_shield::services::{AdmitAddressSignInRequest, Shield, source_ip};
use uuid::Uuid;

use crate::entities::db::admin_credential::{
    CredentialHolderRow, FindCredentialHolder, FindSessionAdmin, NewCredential,
    RotateAdminCredential,
};
use crate::services::access::{Origin, Session, permission};
use crate::services::admin_account::{AdminAccount, admin_target};
use crate::services::secret::Secret;
use crate::services::token::{AccessToken, AdminTokens};

/// Who claims to be signing in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AdminIdentity {
    Id(Uuid),
    /// Matched in any letter case.
    Email(String),
}

pub struct SignInRequest {
    pub identity: AdminIdentity,
    pub credential: Secret,
    pub origin: Origin,
}

#[derive(Debug)]
pub struct SignedIn {
    pub admin: AdminAccount,
    pub access: AccessToken,
}

/// Turns a bearer token into a [`Session`], or refuses it.
pub struct AuthenticateRequest {
    pub token: Secret,
    pub origin: Origin,
}

/// The caller replaces their own credential, presenting the current one.
pub struct RotateCredentialRequest {
    pub identity: AdminIdentity,
    pub credential: Secret,
    pub origin: Origin,
}

#[derive(Debug)]
pub struct RotatedCredential {
    pub admin: AdminAccount,
    pub credential: Secret,
    pub access: AccessToken,
}

/// Credential and session operations.
#[derive(Clone)]
pub struct CredentialService {
    db: DatabaseProcessor,
    tokens: AdminTokens,
    shield: Shield,
}

impl CredentialService {
    pub fn new(db: DatabaseProcessor, tokens: AdminTokens, shield: Shield) -> Self {
        Self { db, tokens, shield }
    }

    /// Counts a credential check against its source address's sign-in limit, before the
    /// database is asked, so a flood of guesses is refused cheaply.
    async fn admit(&self, origin: &Origin) -> Result<(), ServiceError> {
        let address = source_ip(origin.source_address.as_deref().unwrap_or_default());
        self.shield
            .process(AdmitAddressSignInRequest { address })
            .await
    }

    /// The account whose current credential `credential` is, or the one refusal every wrong
    /// guess gets. The message does not say which half was wrong, so it does not reveal
    /// whether an admin id or address exists.
    async fn credential_holder(
        &self,
        identity: AdminIdentity,
        credential: &Secret,
    ) -> Result<(AdminAccount, Uuid), ServiceError> {
        let (admin_id, email) = match identity {
            AdminIdentity::Id(id) => (Some(id), None),
            AdminIdentity::Email(email) => (None, Some(email.trim().to_owned())),
        };
        let holder = self
            .db
            .process(FindCredentialHolder {
                admin_id,
                email,
                secret_hash: credential.hash(),
            })
            .await?;
        let holder = holder.ok_or_else(|| {
            ServiceError::Unauthenticated("the admin or the credential is wrong".into())
        })?;
        let credential_id = holder.credential_id;
        Ok((AdminAccount::try_from(holder)?, credential_id))
    }
}

impl Processor<SignInRequest> for CredentialService {
    type Output = SignedIn;
    type Error = ServiceError;

    async fn process(&self, input: SignInRequest) -> Result<Self::Output, Self::Error> {
        self.admit(&input.origin).await?;
        let (admin, credential_id) = self
            .credential_holder(input.identity, &input.credential)
            .await?;

        let access = self.tokens.issue(&admin, credential_id).await?;
        tracing::info!(admin_id = %admin.id, "admin signed in");
        Ok(SignedIn { admin, access })
    }
}

impl Processor<AuthenticateRequest> for CredentialService {
    type Output = Session;
    type Error = ServiceError;

    async fn process(&self, input: AuthenticateRequest) -> Result<Self::Output, Self::Error> {
        let subject = self.tokens.verify(input.token.expose()).await?;

        // The token is genuine; is its session still open? Not when the admin was deleted or
        // has rotated the credential since.
        let admin = self
            .db
            .process(FindSessionAdmin {
                admin_id: subject.admin_id,
                credential_id: subject.credential_id,
            })
            .await?;
        let admin = admin.ok_or_else(|| {
            ServiceError::Unauthenticated(
                "this session has ended (the credential was replaced or the account removed); \
                 sign in again"
                    .into(),
            )
        })?;
        Ok(Session::new(AdminAccount::try_from(admin)?, input.origin))
    }
}

impl Processor<RotateCredentialRequest> for CredentialService {
    type Output = RotatedCredential;
    type Error = ServiceError;

    async fn process(&self, input: RotateCredentialRequest) -> Result<Self::Output, Self::Error> {
        self.admit(&input.origin).await?;
        let (admin, _) = self
            .credential_holder(input.identity, &input.credential)
            .await?;
        let grant = Session::new(admin.clone(), input.origin)
            .authorize::<permission::RotateOwnCredential>()?;

        let credential = Secret::generate();
        let new = NewCredential {
            credential_id: Uuid::now_v7(),
            secret_hash: credential.hash(),
        };
        let rotate = RotateAdminCredential {
            admin_id: admin.id,
            current_hash: input.credential.hash(),
            credential: new.clone(),
            audit: grant.audit("admin.credential.rotate", admin_target(admin.id)),
        };
        // A concurrent rotation may have replaced the credential since it was checked above.
        if !self.db.process(rotate).await? {
            return Err(ServiceError::Unauthenticated(
                "the credential was replaced meanwhile; sign in with the new one".into(),
            ));
        }

        let access = self.tokens.issue(&admin, new.credential_id).await?;
        tracing::info!(admin_id = %admin.id, "admin rotated their credential");
        Ok(RotatedCredential {
            admin,
            credential,
            access,
        })
    }
}

impl TryFrom<CredentialHolderRow> for AdminAccount {
    type Error = ServiceError;

    fn try_from(row: CredentialHolderRow) -> Result<Self, Self::Error> {
        crate::entities::db::admin_account::AdminAccountRow {
            id: row.id,
            name: row.name,
            role: row.role,
            email: row.email,
            avatar: row.avatar,
            created_at: row.created_at,
        }
        .try_into()
    }
}
