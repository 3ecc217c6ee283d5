//! Multi-factor authentication with TOTP: enrolment, checking a second factor, and turning it
//! off.
//!
//! An authenticator app and Helium share a secret; a code is the HMAC of the current
//! 30-second step, and codes of the step before and after are accepted too, for clock drift.
//! Each accepted code moves the account's last used step forward, so a code seen over a
//! shoulder cannot be used again in its window. Recovery codes stand in for a lost app, once
//! each.

use chrono::Utc;
use helium_framework::config::ConfigStore;
use helium_framework::error::ServiceError;
use helium_framework::processor::{DatabaseProcessor, Processor};
use helium_framework::tokens::secret_hash;
use helium_shield::services::{AdmitSignInRequest, RecordFailedSignInRequest, Shield};
use totp_rs::{Builder, Secret, Totp};

use super::reverification::{ConsumeReverification, ReverificationService};
use super::session::Caller;
use super::{email, existing_account, ip_of};
use crate::cache::AuthCache;
use crate::config::AuthConfig;
use crate::entities::db::mfa::{
    AcceptTotpStep, FindUserMfa, StorePendingMfa, UseRecoveryCode, UserMfaRow, disable_mfa,
    enable_mfa,
};
use crate::password;

/// How many recovery codes an enrolment hands out.
pub(crate) const RECOVERY_CODES: usize = 10;

/// Starts an enrolment: a fresh secret, pending until a code from it is confirmed.
pub struct BeginMfaEnrollment {
    pub caller: Caller,
}

/// What the customer's authenticator app needs. Not `Debug`: it holds the new secret.
pub struct MfaEnrollment {
    /// The secret in base32, for typing into an app by hand.
    pub secret: String,
    /// The `otpauth://` URI, for a QR code.
    pub otpauth_uri: String,
}

/// Turns MFA on with a current code from the pending secret.
pub struct ConfirmMfaEnrollment {
    pub caller: Caller,
    pub code: String,
    pub reverification_token: String,
}

/// Turns MFA off. A stolen access token is not enough: the password and a current code (or a
/// recovery code) must come with it.
pub struct DisableMfa {
    pub caller: Caller,
    pub password: String,
    pub code: String,
    pub ip_address: String,
}

#[derive(Clone)]
pub struct MfaService {
    db: DatabaseProcessor,
    configs: ConfigStore,
    shield: Shield,
    /// The profile shows whether MFA is on, so turning it on or off forgets the profile.
    cache: AuthCache,
    /// Turning MFA on needs a fresh proof of identity.
    reverification: ReverificationService,
}

impl MfaService {
    pub fn new(
        db: DatabaseProcessor,
        configs: ConfigStore,
        shield: Shield,
        cache: AuthCache,
        reverification: ReverificationService,
    ) -> Self {
        Self {
            db,
            configs,
            shield,
            cache,
            reverification,
        }
    }

    async fn config(&self) -> Result<AuthConfig, ServiceError> {
        self.configs.load().await.map_err(ServiceError::internal)
    }
}

impl Processor<BeginMfaEnrollment> for MfaService {
    type Output = MfaEnrollment;
    type Error = ServiceError;

    async fn process(&self, input: BeginMfaEnrollment) -> Result<MfaEnrollment, ServiceError> {
        let account = existing_account(&self.db, input.caller.user_id).await?;
        let config = self.config().await?;

        // The otpauth URI separates issuer and account with a colon, so neither may hold one.
        let totp = Builder::new()
            .with_secret(Secret::generate())
            .with_account_name(account.email.replace(':', " "))
            .with_issuer(Some(config.frontend.product_name.replace(':', " ")))
            .build()
            .map_err(ServiceError::internal)?;
        let secret = totp.secret().to_base32();
        let otpauth_uri = totp.to_url().map_err(ServiceError::internal)?;

        // A second enrolment before confirming replaces the first; one that is confirmed
        // stays until it is turned off.
        let pending = StorePendingMfa {
            user_id: account.id,
            secret: secret.clone(),
        };
        if !self.db.process(pending).await? {
            return Err(already_on());
        }
        Ok(MfaEnrollment {
            secret,
            otpauth_uri,
        })
    }
}

impl Processor<ConfirmMfaEnrollment> for MfaService {
    type Output = Vec<String>;
    type Error = ServiceError;

    async fn process(&self, input: ConfirmMfaEnrollment) -> Result<Vec<String>, ServiceError> {
        let account = existing_account(&self.db, input.caller.user_id).await?;
        let mfa = self
            .db
            .process(FindUserMfa {
                user_id: account.id,
            })
            .await?
            .ok_or_else(|| {
                ServiceError::FailedPrecondition(
                    "start setting up two-factor authentication first".into(),
                )
            })?;
        if mfa.enabled_at.is_some() {
            return Err(already_on());
        }

        // A wrong code here costs nothing to guard: the caller holds the secret already.
        let step = totp_step(&mfa.secret, &input.code)?.ok_or_else(|| {
            ServiceError::InvalidArgument(
                "the code is not correct; enter the code the authenticator app shows now".into(),
            )
        })?;
        let consume = ConsumeReverification {
            caller: input.caller,
            token: input.reverification_token,
        };
        self.reverification.process(consume).await?;

        let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
        let hashes: Vec<Vec<u8>> = codes.iter().map(|code| recovery_hash(code)).collect();
        let config = self.config().await?;
        let mut transaction = self.db.pool().begin().await?;
        if !enable_mfa(&mut transaction, account.id, step, &hashes).await? {
            return Err(already_on());
        }
        email::queue_mfa_enabled(&mut transaction, &config, &account.email).await?;
        transaction.commit().await?;
        self.cache.forget_account(account.id);
        tracing::info!(user_id = %account.id, "MFA turned on");
        Ok(codes)
    }
}

impl Processor<DisableMfa> for MfaService {
    type Output = ();
    type Error = ServiceError;

    async fn process(&self, input: DisableMfa) -> Result<(), ServiceError> {
        let account = existing_account(&self.db, input.caller.user_id).await?;
        let mfa = self
            .db
            .process(FindUserMfa {
                user_id: account.id,
            })
            .await?
            .filter(|mfa| mfa.enabled_at.is_some())
            .ok_or_else(|| {
                ServiceError::FailedPrecondition("two-factor authentication is not on".into())
            })?;

        // Both proofs are guesses an attacker with a stolen token could make, so the shield
        // counts them like sign-ins and locks the account out after repeated failures.
        let admit = AdmitSignInRequest {
            email: account.email.clone(),
            address: ip_of(&input.ip_address),
        };
        self.shield.process(admit).await?;
        let password_ok = password::verify(input.password, account.password_hash.clone()).await?;
        if !password_ok {
            return Err(self
                .refuse(&account.email, "the password is not correct")
                .await);
        }
        if !verify_second_factor(&self.db, &mfa, &input.code).await? {
            return Err(self.refuse(&account.email, "the code is not correct").await);
        }

        let config = self.config().await?;
        let mut transaction = self.db.pool().begin().await?;
        if !disable_mfa(&mut transaction, account.id).await? {
            return Err(ServiceError::FailedPrecondition(
                "two-factor authentication is not on".into(),
            ));
        }
        email::queue_mfa_disabled(&mut transaction, &config, &account.email).await?;
        transaction.commit().await?;
        self.cache.forget_account(account.id);
        tracing::info!(user_id = %account.id, "MFA turned off");
        Ok(())
    }
}

impl MfaService {
    /// Counts a failed proof and returns the refusal, or the error counting it met.
    async fn refuse(&self, email: &str, message: &str) -> ServiceError {
        let failed = RecordFailedSignInRequest {
            email: email.to_owned(),
        };
        match self.shield.process(failed).await {
            Ok(_) => ServiceError::PermissionDenied(message.to_owned()),
            Err(error) => error,
        }
    }
}

fn already_on() -> ServiceError {
    ServiceError::FailedPrecondition(
        "two-factor authentication is already on; turn it off before setting up another \
         authenticator"
            .into(),
    )
}

/// Whether `code` is a second factor of an account with MFA on: a current TOTP code not used
/// before, or an unused recovery code, which this uses up.
pub(crate) async fn verify_second_factor(
    db: &DatabaseProcessor,
    mfa: &UserMfaRow,
    code: &str,
) -> Result<bool, ServiceError> {
    if let Some(step) = totp_step(&mfa.secret, code)? {
        let accept = AcceptTotpStep {
            user_id: mfa.user_id,
            step,
        };
        return Ok(db.process(accept).await?);
    }

    let normalised = normalise_recovery_code(code);
    if normalised.is_empty() {
        return Ok(false);
    }
    let used = UseRecoveryCode {
        user_id: mfa.user_id,
        code_hash: secret_hash(&normalised),
    };
    Ok(db.process(used).await?)
}

/// The time step `code` is valid for under `secret`, if it is a current code.
fn totp_step(secret: &str, code: &str) -> Result<Option<i64>, ServiceError> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return Ok(None);
    }
    let totp = totp(secret)?;
    let now = u64::try_from(Utc::now().timestamp()).map_err(ServiceError::internal)?;
    Ok(totp
        .check(&code, now)
        .and_then(|step| i64::try_from(step).ok()))
}

/// A checker for a stored secret; the name and issuer only matter for the otpauth URI.
fn totp(secret: &str) -> Result<Totp, ServiceError> {
    let secret = Secret::try_from_base32(secret).map_err(ServiceError::internal)?;
    Builder::new()
        .with_secret(secret)
        .build()
        .map_err(ServiceError::internal)
}

/// A fresh recovery code: 16 base32 characters (80 random bits) in groups of four, easy to
/// copy down on paper.
pub(crate) fn recovery_code() -> String {
    let random = Secret::generate().to_base32();
    let characters: Vec<char> = random.chars().take(16).collect();
    characters
        .chunks(4)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// A recovery code as it is hashed: no dashes or spaces, upper case, so the customer may type
/// it either way.
fn normalise_recovery_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

pub(crate) fn recovery_hash(code: &str) -> Vec<u8> {
    secret_hash(&normalise_recovery_code(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_random_grouped_and_match_however_they_are_typed() {
        let (first, second) = (recovery_code(), recovery_code());

        assert_ne!(first, second);
        assert_eq!(first.len(), 19);
        assert_eq!(first.matches('-').count(), 3);
        assert_eq!(
            recovery_hash(&first),
            recovery_hash(&first.replace('-', " ").to_lowercase())
        );
    }

    #[test]
    fn only_a_current_code_of_the_secret_has_a_step() {
        let secret = Secret::generate().to_base32();
        let code = totp(&secret).unwrap().generate_current().to_string();

        assert!(totp_step(&secret, &code).unwrap().is_some());
        assert!(totp_step(&secret, "12345").unwrap().is_none());
        assert!(totp_step(&secret, "abcdef").unwrap().is_none());
    }
}
