//! Sign-in by email and password.

use helium_framework::config::ConfigStore;
use helium_framework::error::ServiceError;
use helium_framework::processor::{DatabaseProcessor, Processor};
use helium_shield::services::{
    AdmitSignInRequest, RecordFailedSignInRequest, RecordSuccessfulSignInRequest, Shield,
};
use uuid::Uuid;

use super::email;
use super::session::{IssuedSession, SessionService, StartSession};
use super::{device_label, ip_of, parse_email};
use crate::config::AuthConfig;
use crate::entities::db::session::SeenDevice;
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
    configs: ConfigStore,
    sessions: SessionService,
    shield: Shield,
}

impl SignInService {
    pub fn new(
        db: DatabaseProcessor,
        configs: ConfigStore,
        sessions: SessionService,
        shield: Shield,
    ) -> Self {
        Self {
            db,
            configs,
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

        let device = device_label(&input.device);
        let seen = SeenDevice {
            user_id: account.id,
            device: device.clone(),
            ip_address: input.ip_address.clone(),
        };
        let known_device = self.db.process(seen).await?;
        let start = StartSession {
            user_id: account.id,
            device: device.clone(),
            ip_address: input.ip_address,
        };
        let session = self.sessions.process(start).await?;
        tracing::info!(user_id = %account.id, session_id = %session.session_id, "signed in");

        // The notice is a courtesy: failing to queue it must not fail a sign-in whose
        // session already exists.
        if !known_device
            && let Err(error) = self
                .notify_new_device(&account.email, &device, address)
                .await
        {
            tracing::warn!(user_id = %account.id, %error, "new-sign-in notice not queued");
        }
        Ok(SignedIn {
            user_id: account.id,
            session,
        })
    }
}

impl SignInService {
    async fn notify_new_device(
        &self,
        to: &str,
        device: &str,
        address: std::net::IpAddr,
    ) -> Result<(), ServiceError> {
        let config: AuthConfig = self.configs.load().await.map_err(ServiceError::internal)?;
        let mut connection = self.db.pool().acquire().await?;
        email::queue_new_sign_in(&mut connection, &config, to, device, address).await
    }
}
