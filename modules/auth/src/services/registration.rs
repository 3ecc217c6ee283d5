//! Registration by email link.
//!
//! Asking for a link never reveals whether the address already has an account: the answer is
//! the same either way, and an existing customer simply receives no link. The link is a
//! single-use secret whose hash is stored with its expiry; completing the registration
//! consumes it and creates the account in one transaction.

use chrono::Utc;
use helium_framework::config::ConfigStore;
use helium_framework::error::ServiceError;
use helium_framework::processor::{DatabaseProcessor, Processor};
use helium_framework::tokens::{random_secret, secret_hash};
use helium_shield::services::{AdmitEmailRequest, Shield};
use uuid::Uuid;

use super::email::{self, LinkEmail};
use super::session::{IssuedSession, SessionService, StartSession, seconds};
use super::{device_label, ip_of, parse_email};
use crate::config::{AuthConfig, RegisterDomainConfig};
use crate::entities::db::email_link::{self, LinkPurpose};
use crate::entities::db::user_account::{self, FindUserByEmail};
use crate::entities::redis::resend::{ClaimResendSlot, ResendSlots};
use crate::password;

pub struct RequestRegistration {
    pub email: String,
    pub referral_code: Option<String>,
    pub ip_address: String,
}

pub struct CompleteRegistration {
    pub token: String,
    pub password: String,
    pub device: String,
    pub ip_address: String,
}

pub struct RegistrationCompleted {
    pub user_id: Uuid,
    /// Present when the configuration signs new customers in at once.
    pub session: Option<IssuedSession>,
}

#[derive(Clone)]
pub struct RegistrationService {
    db: DatabaseProcessor,
    configs: ConfigStore,
    sessions: SessionService,
    shield: Shield,
    resend: ResendSlots,
}

impl RegistrationService {
    pub fn new(
        db: DatabaseProcessor,
        configs: ConfigStore,
        sessions: SessionService,
        shield: Shield,
        resend: ResendSlots,
    ) -> Self {
        Self {
            db,
            configs,
            sessions,
            shield,
            resend,
        }
    }
}

impl Processor<RequestRegistration> for RegistrationService {
    type Output = ();
    type Error = ServiceError;

    async fn process(&self, input: RequestRegistration) -> Result<(), ServiceError> {
        let email = parse_email(&input.email)?;
        let referral_code = input.referral_code.map(|code| code.trim().to_owned());
        if referral_code
            .as_ref()
            .is_some_and(|code| code.is_empty() || code.chars().count() > 64)
        {
            return Err(ServiceError::InvalidArgument(
                "the referral code must be 1 to 64 characters".into(),
            ));
        }
        let config: AuthConfig = self.configs.load().await.map_err(ServiceError::internal)?;
        check_domain(&config.email_provider.register_domain, &email)?;
        claim_resend_slot(&self.resend, &config, &email, LinkPurpose::Registration).await?;
        let recipient = email.clone();
        let admit = AdmitEmailRequest {
            address: ip_of(&input.ip_address),
            recipient,
        };
        self.shield.process(admit).await?;

        if self
            .db
            .process(FindUserByEmail {
                email: email.clone(),
            })
            .await?
            .is_some()
        {
            tracing::info!("registration requested for an existing account; no link sent");
            return Ok(());
        }

        let token = random_secret();
        let lifetime = config.email_provider.magic_link_expire_after.0;
        let mut transaction = self.db.pool().begin().await?;
        email_link::insert_link(
            &mut transaction,
            &secret_hash(&token),
            LinkPurpose::Registration,
            &email,
            None,
            referral_code.as_deref(),
            Utc::now() + seconds(lifetime),
        )
        .await?;
        let link = config.frontend.registration_link(&token);
        let message = LinkEmail {
            link: &link,
            lifetime_secs: lifetime,
        };
        email::queue_registration(&mut transaction, &config, &email, &message).await?;
        transaction.commit().await?;
        Ok(())
    }
}

impl Processor<CompleteRegistration> for RegistrationService {
    type Output = RegistrationCompleted;
    type Error = ServiceError;

    async fn process(
        &self,
        input: CompleteRegistration,
    ) -> Result<RegistrationCompleted, ServiceError> {
        let token_hash = secret_hash(input.token.trim());
        let config: AuthConfig = self.configs.load().await.map_err(ServiceError::internal)?;

        let mut transaction = self.db.pool().begin().await?;
        let link =
            email_link::lock_link(&mut transaction, &token_hash, LinkPurpose::Registration).await?;
        let link = usable_link(link)?;
        password::check_policy(&input.password, &link.email)?;
        let password_hash = password::hash(input.password).await?;

        let user_id = Uuid::now_v7();
        let created = user_account::insert_account(
            &mut transaction,
            user_id,
            &link.email,
            &password_hash,
            link.referral_code.as_deref(),
        )
        .await;
        if let Err(error) = created {
            return Err(match error.as_database_error() {
                Some(database) if database.is_unique_violation() => ServiceError::AlreadyExists(
                    "an account with this email address already exists; sign in instead".into(),
                ),
                _ => error.into(),
            });
        }
        email_link::mark_link_used(&mut transaction, &token_hash).await?;
        transaction.commit().await?;
        tracing::info!(%user_id, "account registered");

        let session = if config.frontend.auto_login {
            let start = StartSession {
                user_id,
                device: device_label(&input.device),
                ip_address: input.ip_address,
            };
            Some(self.sessions.process(start).await?)
        } else {
            None
        };
        Ok(RegistrationCompleted { user_id, session })
    }
}

/// Refuses a link that does not exist, has expired or was used, with a message saying which.
pub(crate) fn usable_link(
    link: Option<email_link::EmailLinkRow>,
) -> Result<email_link::EmailLinkRow, ServiceError> {
    let link = link.ok_or_else(|| {
        ServiceError::NotFound("this link is not valid; ask for a new one".into())
    })?;
    if link.used_at.is_some() {
        return Err(ServiceError::FailedPrecondition(
            "this link has already been used; ask for a new one".into(),
        ));
    }
    if link.expires_at <= Utc::now() {
        return Err(ServiceError::FailedPrecondition(
            "this link has expired; ask for a new one".into(),
        ));
    }
    Ok(link)
}

/// A usable link sent on behalf of an account (a password reset or an email change), and that
/// account. Such links always name one; a row without is refused like an unknown link.
pub(crate) fn usable_account_link(
    link: Option<email_link::EmailLinkRow>,
) -> Result<(Uuid, email_link::EmailLinkRow), ServiceError> {
    let link = usable_link(link)?;
    let user_id = link.user_id.ok_or_else(|| {
        ServiceError::NotFound("this link is not valid; ask for a new one".into())
    })?;
    Ok((user_id, link))
}

/// Applies the register-domain white and black lists.
pub(crate) fn check_domain(
    domains: &RegisterDomainConfig,
    email: &str,
) -> Result<(), ServiceError> {
    let domain = email
        .rsplit('@')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let listed = |list: &[String]| list.iter().any(|entry| entry.eq_ignore_ascii_case(&domain));
    if domains.enable_white_list && !listed(&domains.white_list) {
        return Err(ServiceError::InvalidArgument(format!(
            "registration with {domain} addresses is not available"
        )));
    }
    if domains.enable_black_list && listed(&domains.black_list) {
        return Err(ServiceError::InvalidArgument(format!(
            "registration with {domain} addresses is not available"
        )));
    }
    Ok(())
}

/// Refuses a second email to the same address within `resend_interval`, whether or not the
/// first one was sent, so the refusal reveals nothing about accounts.
pub(crate) async fn claim_resend_slot(
    slots: &ResendSlots,
    config: &AuthConfig,
    email: &str,
    purpose: LinkPurpose,
) -> Result<(), ServiceError> {
    let claim = ClaimResendSlot {
        purpose: purpose.as_db(),
        email: email.to_owned(),
        interval_secs: config.email_provider.resend_interval.0,
    };
    let Some(wait) = slots.process(claim).await.map_err(ServiceError::internal)? else {
        return Ok(());
    };
    let unit = if wait == 1 { "second" } else { "seconds" };
    Err(ServiceError::ResourceExhausted {
        message: format!("an email was just sent; wait {wait} {unit} before asking again"),
        retry_after_secs: wait,
    })
}
