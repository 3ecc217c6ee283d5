//! The customer's own security-sensitive changes: a new password, a new email address and new
//! recovery codes.
//!
//! Each one takes a re-verification grant ([`ConsumeReverification`]), used up only after the
//! rest of the input passed its checks, so a typo does not cost the customer a second proof.
//! Each one writes its change and the notice email that explains it in one transaction, so the
//! owner hears of a change exactly when there is one.

use chrono::Utc;
use helium_framework::config::ConfigStore;
use helium_framework::error::ServiceError;
use helium_framework::processor::{DatabaseProcessor, Processor};
use helium_framework::tokens::{random_secret, secret_hash};
use helium_mailer::SecurityEvent;
use helium_shield::services::{AdmitEmailRequest, Shield};

use super::email::{self, LinkEmail};
use super::mfa::{RECOVERY_CODES, recovery_code, recovery_hash};
use super::registration::{check_domain, claim_resend_slot, usable_account_link};
use super::reverification::{ConsumeReverification, ReverificationService};
use super::session::{Caller, RevokeOtherSessions, SessionService, seconds};
use super::{existing_account, ip_of, parse_email};
use crate::config::AuthConfig;
use crate::entities::db::email_link::{self, LinkPurpose};
use crate::entities::db::mfa::replace_recovery_codes;
use crate::entities::db::user_account::{self, FindUserByEmail};
use crate::entities::redis::resend::ResendSlots;
use crate::password;

/// Sets a new password (or the first one, for an account that only signed in through OAuth)
/// and ends every other session of the account.
pub struct ChangePassword {
    pub caller: Caller,
    pub reverification_token: String,
    pub new_password: String,
}

/// Asks to move the account to another address: a link goes to the new address, a notice to
/// the current one.
pub struct RequestEmailChange {
    pub caller: Caller,
    pub reverification_token: String,
    pub new_email: String,
    pub ip_address: String,
}

/// Opens an email-change link: the address changes if nobody took it meanwhile.
pub struct ConfirmEmailChange {
    pub token: String,
}

/// Replaces the recovery codes with fresh ones, which are returned (shown this once).
pub struct RegenerateRecoveryCodes {
    pub caller: Caller,
    pub reverification_token: String,
}

/// What a password change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordChanged {
    /// How many other sessions it ended.
    pub sessions_ended: usize,
}

#[derive(Clone)]
pub struct AccountSecurityService {
    db: DatabaseProcessor,
    configs: ConfigStore,
    sessions: SessionService,
    shield: Shield,
    resend: ResendSlots,
    reverification: ReverificationService,
}

impl AccountSecurityService {
    pub fn new(
        db: DatabaseProcessor,
        configs: ConfigStore,
        sessions: SessionService,
        shield: Shield,
        resend: ResendSlots,
        reverification: ReverificationService,
    ) -> Self {
        Self {
            db,
            configs,
            sessions,
            shield,
            resend,
            reverification,
        }
    }

    async fn config(&self) -> Result<AuthConfig, ServiceError> {
        self.configs.load().await.map_err(ServiceError::internal)
    }

    async fn consume(&self, caller: Caller, token: String) -> Result<(), ServiceError> {
        self.reverification
            .process(ConsumeReverification { caller, token })
            .await
    }
}

impl Processor<ChangePassword> for AccountSecurityService {
    type Output = PasswordChanged;
    type Error = ServiceError;

    async fn process(&self, input: ChangePassword) -> Result<PasswordChanged, ServiceError> {
        let account = existing_account(&self.db, input.caller.user_id).await?;
        password::check_policy(&input.new_password, &account.email)?;
        let config = self.config().await?;
        self.consume(input.caller, input.reverification_token)
            .await?;

        let password_hash = password::hash(input.new_password).await?;
        let mut transaction = self.db.pool().begin().await?;
        user_account::set_password(&mut transaction, account.id, &password_hash).await?;
        // Reset links sent before the change would undo it.
        email_link::retire_links(&mut transaction, account.id, LinkPurpose::PasswordReset).await?;
        email::queue_password_changed(&mut transaction, &config, &account.email).await?;
        transaction.commit().await?;

        // After the commit: a session refreshed in between is ended all the same, and if this
        // step fails the new password stands and the caller sees the error.
        let sessions_ended = self
            .sessions
            .process(RevokeOtherSessions {
                caller: input.caller,
            })
            .await?;
        tracing::info!(user_id = %account.id, sessions_ended, "password changed");
        Ok(PasswordChanged { sessions_ended })
    }
}

impl Processor<RequestEmailChange> for AccountSecurityService {
    type Output = ();
    type Error = ServiceError;

    async fn process(&self, input: RequestEmailChange) -> Result<(), ServiceError> {
        let new_email = parse_email(&input.new_email)?;
        let account = existing_account(&self.db, input.caller.user_id).await?;
        if new_email.eq_ignore_ascii_case(&account.email) {
            return Err(ServiceError::InvalidArgument(
                "this is already the account's email address".into(),
            ));
        }
        let config = self.config().await?;
        check_domain(&config.email_provider.register_domain, &new_email)?;
        // Before the limits, which count what they admit: a request without a valid grant
        // must not spend the address's resend slot or its share of the email limits.
        self.consume(input.caller, input.reverification_token)
            .await?;
        claim_resend_slot(&self.resend, &config, &new_email, LinkPurpose::EmailChange).await?;
        let admit = AdmitEmailRequest {
            address: ip_of(&input.ip_address),
            recipient: new_email.clone(),
        };
        self.shield.process(admit).await?;

        // An address another account holds gets the same answer as a free one, and no email:
        // see `RequestEmailChange` in auth.proto for why.
        let taken = FindUserByEmail {
            email: new_email.clone(),
        };
        let taken = self.db.process(taken).await?.is_some();

        let mut transaction = self.db.pool().begin().await?;
        // Only the newest request counts: an older link could otherwise still move the account
        // to an address the customer has since abandoned.
        email_link::retire_links(&mut transaction, account.id, LinkPurpose::EmailChange).await?;
        if taken {
            tracing::info!(user_id = %account.id, "email change to a taken address; no link sent");
        } else {
            let token = random_secret();
            let lifetime = config.email_provider.magic_link_expire_after.0;
            email_link::insert_link(
                &mut transaction,
                &secret_hash(&token),
                LinkPurpose::EmailChange,
                &new_email,
                Some(account.id),
                None,
                Utc::now() + seconds(lifetime),
            )
            .await?;
            let link = config.frontend.email_change_link(&token);
            let message = LinkEmail {
                link: &link,
                lifetime_secs: lifetime,
            };
            email::queue_email_change(&mut transaction, &config, &new_email, &message).await?;
        }
        let notice = SecurityEvent::EmailChangeRequested;
        email::queue_security_notice(&mut transaction, &config, &account.email, notice).await?;
        transaction.commit().await?;
        Ok(())
    }
}

impl Processor<ConfirmEmailChange> for AccountSecurityService {
    type Output = ();
    type Error = ServiceError;

    async fn process(&self, input: ConfirmEmailChange) -> Result<(), ServiceError> {
        let token_hash = secret_hash(input.token.trim());
        let config = self.config().await?;

        let mut transaction = self.db.pool().begin().await?;
        let link =
            email_link::lock_link(&mut transaction, &token_hash, LinkPurpose::EmailChange).await?;
        let (user_id, link) = usable_account_link(link)?;
        let changed = user_account::set_email(&mut transaction, user_id, &link.email).await;
        let previous = match changed {
            Ok(Some(previous)) => previous,
            Ok(None) => {
                return Err(ServiceError::NotFound(
                    "the account of this link no longer exists".into(),
                ));
            }
            // Dropping the transaction rolls it back: the link stays unused, the address as
            // it was.
            Err(error) if is_unique_violation(&error) => {
                return Err(ServiceError::AlreadyExists(
                    "another account now uses this email address; the address was not changed"
                        .into(),
                ));
            }
            Err(error) => return Err(error.into()),
        };
        email_link::mark_link_used(&mut transaction, &token_hash).await?;
        // Links that went to the old address, or name it, have lost their meaning.
        email_link::retire_links(&mut transaction, user_id, LinkPurpose::EmailChange).await?;
        email_link::retire_links(&mut transaction, user_id, LinkPurpose::PasswordReset).await?;
        let notice = SecurityEvent::EmailChanged;
        email::queue_security_notice(&mut transaction, &config, &previous, notice).await?;
        transaction.commit().await?;
        self.sessions.cache().forget_account(user_id);
        tracing::info!(%user_id, "email address changed");
        Ok(())
    }
}

impl Processor<RegenerateRecoveryCodes> for AccountSecurityService {
    type Output = Vec<String>;
    type Error = ServiceError;

    async fn process(&self, input: RegenerateRecoveryCodes) -> Result<Vec<String>, ServiceError> {
        let account = existing_account(&self.db, input.caller.user_id).await?;
        let mfa_on = self
            .db
            .process(crate::entities::db::mfa::FindUserMfa {
                user_id: account.id,
            })
            .await?
            .is_some_and(|mfa| mfa.enabled_at.is_some());
        if !mfa_on {
            return Err(mfa_off());
        }
        let config = self.config().await?;
        self.consume(input.caller, input.reverification_token)
            .await?;

        let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
        let hashes: Vec<Vec<u8>> = codes.iter().map(|code| recovery_hash(code)).collect();
        let mut transaction = self.db.pool().begin().await?;
        if !replace_recovery_codes(&mut transaction, account.id, &hashes).await? {
            return Err(mfa_off());
        }
        let notice = SecurityEvent::RecoveryCodesRegenerated;
        email::queue_security_notice(&mut transaction, &config, &account.email, notice).await?;
        transaction.commit().await?;
        tracing::info!(user_id = %account.id, "recovery codes regenerated");
        Ok(codes)
    }
}

fn mfa_off() -> ServiceError {
    ServiceError::FailedPrecondition(
        "two-factor authentication is not on, so there are no recovery codes to replace".into(),
    )
}

fn is_unique_violation(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .is_some_and(|error| error.is_unique_violation())
}
