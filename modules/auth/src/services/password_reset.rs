//! Password reset by email link. A successful reset ends every session of the account,
//! access tokens included, because whoever knew the old password may hold one.

use chrono::Utc;
use helium_framework::config::ConfigStore;
use helium_framework::error::ServiceError;
use helium_framework::processor::{DatabaseProcessor, Processor};
use helium_framework::tokens::{random_secret, secret_hash};
use helium_shield::services::{AdmitEmailRequest, Shield};
use uuid::Uuid;

use super::email::{self, LinkEmail};
use super::registration::{claim_resend_slot, usable_account_link};
use super::session::{RevokeAllSessions, SessionService, seconds};
use super::{ip_of, parse_email};
use crate::config::AuthConfig;
use crate::entities::db::email_link::{self, LinkPurpose};
use crate::entities::db::user_account::{self, FindUserByEmail};
use crate::entities::redis::resend::ResendSlots;
use crate::password;

/// Stores a new reset link for the account `user_id` and queues its email to `email`, both
/// or neither: the link exists exactly when its email will be sent.
pub(crate) async fn send_reset_link(
    db: &DatabaseProcessor,
    config: &AuthConfig,
    user_id: Uuid,
    email: &str,
) -> Result<(), ServiceError> {
    let token = random_secret();
    let lifetime = config.email_provider.magic_link_expire_after.0;
    let mut transaction = db.pool().begin().await?;
    email_link::insert_link(
        &mut transaction,
        &secret_hash(&token),
        LinkPurpose::PasswordReset,
        email,
        Some(user_id),
        None,
        Utc::now() + seconds(lifetime),
    )
    .await?;

    let link = config.frontend.password_reset_link(&token);
    let message = LinkEmail {
        link: &link,
        lifetime_secs: lifetime,
    };
    email::queue_password_reset(&mut transaction, config, email, &message).await?;
    transaction.commit().await?;
    Ok(())
}

pub struct RequestPasswordReset {
    pub email: String,
    pub ip_address: String,
}

pub struct CompletePasswordReset {
    pub token: String,
    pub new_password: String,
}

#[derive(Clone)]
pub struct PasswordResetService {
    db: DatabaseProcessor,
    configs: ConfigStore,
    sessions: SessionService,
    shield: Shield,
    resend: ResendSlots,
}

impl PasswordResetService {
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

impl Processor<RequestPasswordReset> for PasswordResetService {
    type Output = ();
    type Error = ServiceError;

    async fn process(&self, input: RequestPasswordReset) -> Result<(), ServiceError> {
        let email = parse_email(&input.email)?;
        let config: AuthConfig = self.configs.load().await.map_err(ServiceError::internal)?;
        claim_resend_slot(&self.resend, &config, &email, LinkPurpose::PasswordReset).await?;
        let recipient = email.clone();
        let admit = AdmitEmailRequest {
            address: ip_of(&input.ip_address),
            recipient,
        };
        self.shield.process(admit).await?;

        // The same answer whether or not the address has an account.
        let Some(account) = self
            .db
            .process(FindUserByEmail {
                email: email.clone(),
            })
            .await?
        else {
            return Ok(());
        };
        if account.banned_at.is_some() {
            return Ok(());
        }

        send_reset_link(&self.db, &config, account.id, &account.email).await
    }
}

impl Processor<CompletePasswordReset> for PasswordResetService {
    type Output = ();
    type Error = ServiceError;

    async fn process(&self, input: CompletePasswordReset) -> Result<(), ServiceError> {
        let token_hash = secret_hash(input.token.trim());
        let mut transaction = self.db.pool().begin().await?;
        let link = email_link::lock_link(&mut transaction, &token_hash, LinkPurpose::PasswordReset)
            .await?;
        let (user_id, link) = usable_account_link(link)?;
        password::check_policy(&input.new_password, &link.email)?;
        let password_hash = password::hash(input.new_password).await?;

        user_account::set_password(&mut transaction, user_id, &password_hash).await?;
        email_link::mark_link_used(&mut transaction, &token_hash).await?;
        let config: AuthConfig = self.configs.load().await.map_err(ServiceError::internal)?;
        email::queue_password_changed(&mut transaction, &config, &link.email).await?;
        transaction.commit().await?;

        let ended = self.sessions.process(RevokeAllSessions { user_id }).await?;
        tracing::info!(%user_id, ended, "password reset; every session ended");
        Ok(())
    }
}
