//! The emails the auth module sends, rendered from the mailer's templates and queued in the
//! caller's transaction, so an email exists exactly when the change that explains it does.

use chrono::Utc;
use helium_framework::error::ServiceError;
use helium_mailer::{
    Branding, EmailTemplate, EnqueueError, OneTimeLink, SecurityEvent, enqueue_email,
};

use crate::config::AuthConfig;

/// An email whose point is one link.
pub struct LinkEmail<'a> {
    pub link: &'a str,
    pub lifetime_secs: u64,
}

pub async fn queue_registration(
    connection: &mut sqlx::PgConnection,
    config: &AuthConfig,
    to: &str,
    email: &LinkEmail<'_>,
) -> Result<(), ServiceError> {
    let template = EmailTemplate::RegistrationLink {
        link: one_time_link(email.link)?,
        expires_in_minutes: minutes(email.lifetime_secs),
    };
    queue(connection, config, to, &template).await
}

pub async fn queue_password_reset(
    connection: &mut sqlx::PgConnection,
    config: &AuthConfig,
    to: &str,
    email: &LinkEmail<'_>,
) -> Result<(), ServiceError> {
    let template = EmailTemplate::PasswordReset {
        link: one_time_link(email.link)?,
        expires_in_minutes: minutes(email.lifetime_secs),
    };
    queue(connection, config, to, &template).await
}

/// Tells the account's owner about a sign-in from a device or address not seen before.
pub async fn queue_new_sign_in(
    connection: &mut sqlx::PgConnection,
    config: &AuthConfig,
    to: &str,
    device: &str,
    ip_address: std::net::IpAddr,
) -> Result<(), ServiceError> {
    let template = EmailTemplate::NewSignIn {
        when: Utc::now(),
        ip_address,
        device: device.to_owned(),
    };
    queue(connection, config, to, &template).await
}

/// Tells the account's owner that the password changed, in case it was not them.
pub async fn queue_password_changed(
    connection: &mut sqlx::PgConnection,
    config: &AuthConfig,
    to: &str,
) -> Result<(), ServiceError> {
    let template = EmailTemplate::SecurityNotice {
        event: SecurityEvent::PasswordChanged,
        when: Utc::now(),
    };
    queue(connection, config, to, &template).await
}

/// Tells the account's owner that an admin suspended the account, so they know why they are
/// signed out and whom to ask.
pub async fn queue_account_banned(
    connection: &mut sqlx::PgConnection,
    config: &AuthConfig,
    to: &str,
) -> Result<(), ServiceError> {
    let template = EmailTemplate::SecurityNotice {
        event: SecurityEvent::AccountBanned,
        when: Utc::now(),
    };
    queue(connection, config, to, &template).await
}

/// Sends the link that confirms a new address to that address.
pub async fn queue_email_change(
    connection: &mut sqlx::PgConnection,
    config: &AuthConfig,
    to: &str,
    email: &LinkEmail<'_>,
) -> Result<(), ServiceError> {
    let template = EmailTemplate::EmailChangeLink {
        link: one_time_link(email.link)?,
        expires_in_minutes: minutes(email.lifetime_secs),
    };
    queue(connection, config, to, &template).await
}

/// Tells the current address that a move to another one was asked for, so a hijacker cannot
/// take the account away unnoticed, and that the address changed once it did.
pub async fn queue_security_notice(
    connection: &mut sqlx::PgConnection,
    config: &AuthConfig,
    to: &str,
    event: SecurityEvent,
) -> Result<(), ServiceError> {
    let template = EmailTemplate::SecurityNotice {
        event,
        when: Utc::now(),
    };
    queue(connection, config, to, &template).await
}

/// Tells the account's owner that two-factor authentication was turned on.
pub async fn queue_mfa_enabled(
    connection: &mut sqlx::PgConnection,
    config: &AuthConfig,
    to: &str,
) -> Result<(), ServiceError> {
    let template = EmailTemplate::SecurityNotice {
        event: SecurityEvent::MfaEnabled,
        when: Utc::now(),
    };
    queue(connection, config, to, &template).await
}

/// Tells the account's owner that two-factor authentication was turned off, in case it was not
/// them.
pub async fn queue_mfa_disabled(
    connection: &mut sqlx::PgConnection,
    config: &AuthConfig,
    to: &str,
) -> Result<(), ServiceError> {
    let template = EmailTemplate::SecurityNotice {
        event: SecurityEvent::MfaDisabled,
        when: Utc::now(),
    };
    queue(connection, config, to, &template).await
}

async fn queue(
    connection: &mut sqlx::PgConnection,
    config: &AuthConfig,
    to: &str,
    template: &EmailTemplate,
) -> Result<(), ServiceError> {
    let branding = Branding {
        product_name: config.frontend.product_name.clone(),
        support_email: config.frontend.support_email.clone(),
    };
    let rendered = template.render(&branding).map_err(ServiceError::internal)?;
    enqueue_email(connection, to, &rendered)
        .await
        .map_err(|error| match error {
            EnqueueError::InvalidRecipient => {
                ServiceError::InvalidArgument("this email address cannot receive email".into())
            }
            EnqueueError::Database(error) => error.into(),
        })?;
    Ok(())
}

/// The configured URL template made the link; a bad one is the operator's error, not the
/// caller's, and configuration validation should have caught it.
fn one_time_link(link: &str) -> Result<OneTimeLink, ServiceError> {
    OneTimeLink::parse(link).map_err(|_| {
        ServiceError::internal(std::io::Error::other(
            "the frontend URL template gives no URL",
        ))
    })
}

fn minutes(seconds: u64) -> u32 {
    u32::try_from(seconds.div_ceil(60)).unwrap_or(u32::MAX)
}
