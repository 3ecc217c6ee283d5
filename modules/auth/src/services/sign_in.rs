//! Sign-in by email and password.

use helium_framework::error::ServiceError;
use helium_framework::processor::{DatabaseProcessor, Processor};
use helium_shield::services::{
    AdmitSignInRequest, RecordFailedSignInRequest, RecordSuccessfulSignInRequest, Shield,
};
use uuid::Uuid;

use super::session::{IssuedSession, SessionService, StartSession};
use super::{device_label, ip_of, parse_email};
use crate::entities::db::user_account::FindUserByEmail;
use crate::password;

pub struct SignIn {
    pub email: String,
    pub password: String,
    pub device: String,
    pub ip_address: String,
}

pub struct SignedIn {
    pub user_id: Uuid,
    pub session: IssuedSession,
}

#[derive(Clone)]
pub struct SignInService {
    db: DatabaseProcessor,
    sessions: SessionService,
    shield: Shield,
}

impl SignInService {
    pub fn new(db: DatabaseProcessor, sessions: SessionService, shield: Shield) -> Self {
        Self {
            db,
            sessions,
            shield,
        }
    }
}

impl Processor<SignIn> for SignInService {
    type Output = SignedIn;
    type Error = ServiceError;

    async fn process(&self, input: SignIn) -> Result<SignedIn, ServiceError> {
        let email = parse_email(&input.email)?;
        // Refused attempts are refused before the password is hashed: they cost nothing.
        let address = ip_of(&input.ip_address);
        let admit = AdmitSignInRequest {
            email: email.clone(),
            address,
        };
        self.shield.process(admit).await?;
        let account = self
            .db
            .process(FindUserByEmail {
                email: email.clone(),
            })
            .await?;

        // Unknown address, no password and wrong password look the same to the caller, and
        // take the same time.
        let stored_hash = account
            .as_ref()
            .and_then(|account| account.password_hash.clone());
        let matches = password::verify(input.password, stored_hash).await?;
        let account = match account {
            Some(account) if matches => account,
            _ => {
                self.shield
                    .process(RecordFailedSignInRequest { email })
                    .await?;
                return Err(ServiceError::Unauthenticated(
                    "the email address or the password is incorrect".into(),
                ));
            }
        };
        if account.banned_at.is_some() {
            return Err(ServiceError::PermissionDenied(
                "this account is suspended; contact support".into(),
            ));
        }

        self.shield
            .process(RecordSuccessfulSignInRequest { email })
            .await?;

        let start = StartSession {
            user_id: account.id,
            device: device_label(&input.device),
            ip_address: input.ip_address,
        };
        let session = self.sessions.process(start).await?;
        tracing::info!(user_id = %account.id, session_id = %session.session_id, "signed in");
        Ok(SignedIn {
            user_id: account.id,
            session,
        })
    }
}
