//! Sign-in by email and password, with a second step for accounts with MFA on.
//!
//! For such an account the right password starts no session: it opens a short-lived
//! challenge, and [`CompleteSignIn`] with the challenge and a second factor starts the session.
//! Until then the password's success is not reported to the shield, so the failures it counts
//! keep counting across challenges and a known password does not buy unlimited code guesses.

use helium_framework::config::ConfigStore;
use helium_framework::error::ServiceError;
use helium_framework::processor::{DatabaseProcessor, Processor};
use helium_framework::tokens::random_secret;
use helium_shield::services::{
    AdmitSignInRequest, RecordFailedSignInRequest, RecordSuccessfulSignInRequest, Shield,
};
use uuid::Uuid;

use super::email;
use super::mfa::verify_second_factor;
use super::session::{IssuedSession, SessionService, StartSession};
use super::{device_label, ip_of, parse_email};
use crate::config::AuthConfig;
use crate::entities::db::mfa::FindUserMfa;
use crate::entities::db::session::SeenDevice;
use crate::entities::db::user_account::{FindUserByEmail, FindUserById, UserAccountRow};
use crate::entities::redis::mfa_challenge::{
    FindChallenge, MfaChallenges, PendingSignIn, StoreChallenge, TakeChallenge,
};
use crate::password;

pub struct SignIn {
    pub email: String,
    pub password: String,
    pub device: String,
    pub ip_address: String,
}

/// How long an MFA challenge waits for its second factor.
pub const MFA_CHALLENGE_TTL_SECS: u64 = 300;

pub struct SignedIn {
    pub user_id: Uuid,
    pub session: IssuedSession,
}

/// What a right password leads to.
pub enum SignInOutcome {
    /// The account has no MFA: the session has started.
    SignedIn(SignedIn),
    /// The account has MFA on: [`CompleteSignIn`] with this challenge and a code finishes.
    MfaRequired { user_id: Uuid, challenge: String },
}

/// The second step of a sign-in to an account with MFA on.
pub struct CompleteSignIn {
    pub challenge: String,
    /// A current code of the authenticator app, or an unused recovery code.
    pub code: String,
    pub ip_address: String,
}

#[derive(Clone)]
pub struct SignInService {
    db: DatabaseProcessor,
    configs: ConfigStore,
    sessions: SessionService,
    shield: Shield,
    challenges: MfaChallenges,
}

impl SignInService {
    pub fn new(
        db: DatabaseProcessor,
        configs: ConfigStore,
        sessions: SessionService,
        shield: Shield,
        challenges: MfaChallenges,
    ) -> Self {
        Self {
            db,
            configs,
            sessions,
            shield,
            challenges,
        }
    }
}

impl Processor<SignIn> for SignInService {
    type Output = SignInOutcome;
    type Error = ServiceError;

    async fn process(&self, input: SignIn) -> Result<SignInOutcome, ServiceError> {
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

        let device = device_label(&input.device);
        let mfa = self
            .db
            .process(FindUserMfa {
                user_id: account.id,
            })
            .await?;
        // With MFA on, the password is only the first factor: no session and no success
        // reported to the shield until the second one arrives.
        if mfa.is_some_and(|mfa| mfa.enabled_at.is_some()) {
            let pending = PendingSignIn {
                user_id: account.id,
                email,
                device,
                ip_address: input.ip_address,
            };
            return self.challenge(pending).await;
        }

        self.shield
            .process(RecordSuccessfulSignInRequest { email })
            .await?;
        let signed_in = self.start(&account, device, input.ip_address).await?;
        Ok(SignInOutcome::SignedIn(signed_in))
    }
}

impl Processor<CompleteSignIn> for SignInService {
    type Output = SignedIn;
    type Error = ServiceError;

    async fn process(&self, input: CompleteSignIn) -> Result<SignedIn, ServiceError> {
        let gone = || {
            ServiceError::Unauthenticated(
                "this sign-in has expired or was already completed; sign in again".into(),
            )
        };
        let find = FindChallenge {
            challenge: input.challenge.clone(),
        };
        let pending = self
            .challenges
            .process(find)
            .await
            .map_err(ServiceError::internal)?
            .ok_or_else(gone)?;

        // Each code is an attempt the shield counts, so guessing codes runs into the same
        // limits and lock-out as guessing passwords.
        let admit = AdmitSignInRequest {
            email: pending.email.clone(),
            address: ip_of(&input.ip_address),
        };
        self.shield.process(admit).await?;
        let mfa = self
            .db
            .process(FindUserMfa {
                user_id: pending.user_id,
            })
            .await?
            .filter(|mfa| mfa.enabled_at.is_some())
            .ok_or_else(gone)?;
        if !verify_second_factor(&self.db, &mfa, &input.code).await? {
            self.shield
                .process(RecordFailedSignInRequest {
                    email: pending.email,
                })
                .await?;
            return Err(ServiceError::Unauthenticated(
                "the code is not correct; enter the code the authenticator app shows now, or \
                 a recovery code"
                    .into(),
            ));
        }

        // The challenge is single-use: of two completions racing with it, one starts a
        // session and the other is told to sign in again.
        let take = TakeChallenge {
            challenge: input.challenge,
        };
        let taken = self
            .challenges
            .process(take)
            .await
            .map_err(ServiceError::internal)?;
        if !taken {
            return Err(gone());
        }

        // The account may have been suspended while the challenge waited.
        let account = self
            .db
            .process(FindUserById {
                id: pending.user_id,
            })
            .await?
            .ok_or_else(gone)?;
        if account.banned_at.is_some() {
            return Err(ServiceError::PermissionDenied(
                "this account is suspended; contact support".into(),
            ));
        }
        self.shield
            .process(RecordSuccessfulSignInRequest {
                email: pending.email,
            })
            .await?;
        self.start(&account, pending.device, pending.ip_address)
            .await
    }
}

impl SignInService {
    /// Finishes a sign-in whose first factor another method proved (an OAuth provider): the
    /// same session, or MFA challenge, that a right password leads to. The shield's password
    /// failures are left alone, since no password was tried.
    pub(crate) async fn finish_verified(
        &self,
        account: &UserAccountRow,
        device: &str,
        ip_address: String,
    ) -> Result<SignInOutcome, ServiceError> {
        if account.banned_at.is_some() {
            return Err(ServiceError::PermissionDenied(
                "this account is suspended; contact support".into(),
            ));
        }
        let device = device_label(device);
        let mfa = self
            .db
            .process(FindUserMfa {
                user_id: account.id,
            })
            .await?;
        if mfa.is_some_and(|mfa| mfa.enabled_at.is_some()) {
            let pending = PendingSignIn {
                user_id: account.id,
                email: account.email.clone(),
                device,
                ip_address,
            };
            return self.challenge(pending).await;
        }
        let signed_in = self.start(account, device, ip_address).await?;
        Ok(SignInOutcome::SignedIn(signed_in))
    }

    /// Opens an MFA challenge for a sign-in whose password was right.
    async fn challenge(&self, pending: PendingSignIn) -> Result<SignInOutcome, ServiceError> {
        let user_id = pending.user_id;
        let challenge = random_secret();
        let store = StoreChallenge {
            challenge: challenge.clone(),
            pending,
            ttl_secs: MFA_CHALLENGE_TTL_SECS,
        };
        self.challenges
            .process(store)
            .await
            .map_err(ServiceError::internal)?;
        tracing::info!(%user_id, "password accepted; waiting for the second factor");
        Ok(SignInOutcome::MfaRequired { user_id, challenge })
    }

    /// Starts the session of a completed sign-in, and tells the owner about a new device.
    async fn start(
        &self,
        account: &UserAccountRow,
        device: String,
        ip_address: String,
    ) -> Result<SignedIn, ServiceError> {
        let address = ip_of(&ip_address);
        let seen = SeenDevice {
            user_id: account.id,
            device: device.clone(),
            ip_address: ip_address.clone(),
        };
        let known_device = self.db.process(seen).await?;
        let start = StartSession {
            user_id: account.id,
            device: device.clone(),
            ip_address,
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
