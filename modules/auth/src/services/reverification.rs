//! Re-verification: a fresh proof of identity before a security-sensitive change.
//!
//! An access token says only that someone signed in within the last minutes; a token left
//! in a shared browser or lifted by a script must not be enough to change the password, the
//! email address, the second factor or the login methods. So those changes take a grant
//! from [`Reverify`]: the password again, and a second factor when MFA is on. A grant is
//! short-lived, works once and only in the session that earned it.

use chrono::{DateTime, Utc};
use helium_framework::error::ServiceError;
use helium_framework::processor::{DatabaseProcessor, Processor};
use helium_framework::tokens::random_secret;
use helium_shield::services::{AdmitSignInRequest, RecordFailedSignInRequest, Shield};

use super::mfa::verify_second_factor;
use super::session::{Caller, seconds};
use super::{existing_account, ip_of};
use crate::entities::db::mfa::FindUserMfa;
use crate::entities::redis::reverification::{Grant, Reverifications, StoreGrant, TakeGrant};
use crate::password;

/// How long a grant lasts: long enough to fill in a form, short enough that a forgotten one
/// is soon worthless.
pub const GRANT_LIFETIME_SECS: u64 = 300;

/// Proves the caller's identity again with the password, and with a current authenticator
/// code or an unused recovery code when MFA is on.
pub struct Reverify {
    pub caller: Caller,
    pub password: String,
    pub mfa_code: Option<String>,
    pub ip_address: String,
}

/// A grant for one sensitive change. Not `Debug`: the token is the grant itself.
pub struct Reverification {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// Uses up a grant. Services take it only after the rest of their input is checked, so a
/// change refused for a typo leaves the grant usable.
pub struct ConsumeReverification {
    pub caller: Caller,
    pub token: String,
}

#[derive(Clone)]
pub struct ReverificationService {
    db: DatabaseProcessor,
    shield: Shield,
    grants: Reverifications,
}

impl ReverificationService {
    pub fn new(db: DatabaseProcessor, shield: Shield, grants: Reverifications) -> Self {
        Self { db, shield, grants }
    }

    /// Stores a grant for the caller's session and returns its token. Other proofs of
    /// identity (a linked OAuth provider) end here too.
    pub(crate) async fn grant(&self, caller: Caller) -> Result<Reverification, ServiceError> {
        let token = random_secret();
        let store = StoreGrant {
            token: token.clone(),
            grant: Grant {
                user_id: caller.user_id,
                session_id: caller.session_id,
            },
            ttl_secs: GRANT_LIFETIME_SECS,
        };
        self.grants
            .process(store)
            .await
            .map_err(ServiceError::internal)?;
        Ok(Reverification {
            token,
            expires_at: Utc::now() + seconds(GRANT_LIFETIME_SECS),
        })
    }

    /// Counts a failed proof like a failed sign-in and returns the refusal.
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

impl Processor<Reverify> for ReverificationService {
    type Output = Reverification;
    type Error = ServiceError;

    async fn process(&self, input: Reverify) -> Result<Reverification, ServiceError> {
        let account = existing_account(&self.db, input.caller.user_id).await?;
        if account.password_hash.is_none() {
            return Err(ServiceError::FailedPrecondition(
                "this account has no password; re-verify with a linked sign-in provider".into(),
            ));
        }
        let mfa = self
            .db
            .process(FindUserMfa {
                user_id: account.id,
            })
            .await?
            .filter(|mfa| mfa.enabled_at.is_some());
        let mfa_code = input.mfa_code.filter(|code| !code.trim().is_empty());
        if mfa.is_some() && mfa_code.is_none() {
            return Err(ServiceError::InvalidArgument(
                "two-factor authentication is on: a code from the authenticator app or a \
                 recovery code is required"
                    .into(),
            ));
        }

        // The same guesses a password form invites, so the same limits and lock-out apply.
        let admit = AdmitSignInRequest {
            email: account.email.clone(),
            address: ip_of(&input.ip_address),
        };
        self.shield.process(admit).await?;
        if !password::verify(input.password, account.password_hash.clone()).await? {
            return Err(self
                .refuse(&account.email, "the password is not correct")
                .await);
        }
        if let (Some(mfa), Some(code)) = (&mfa, &mfa_code)
            && !verify_second_factor(&self.db, mfa, code).await?
        {
            return Err(self.refuse(&account.email, "the code is not correct").await);
        }
        self.grant(input.caller).await
    }
}

impl Processor<ConsumeReverification> for ReverificationService {
    type Output = ();
    type Error = ServiceError;

    async fn process(&self, input: ConsumeReverification) -> Result<(), ServiceError> {
        let refused = || {
            ServiceError::PermissionDenied(
                "this change needs a fresh re-verification: confirm your password (and code) \
                 again"
                    .into(),
            )
        };
        if input.token.trim().is_empty() {
            return Err(refused());
        }
        let grant = self
            .grants
            .process(TakeGrant { token: input.token })
            .await
            .map_err(ServiceError::internal)?
            .ok_or_else(refused)?;
        let expected = Grant {
            user_id: input.caller.user_id,
            session_id: input.caller.session_id,
        };
        if grant != expected {
            return Err(refused());
        }
        Ok(())
    }
}
