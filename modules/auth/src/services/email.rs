//! The emails the auth module sends, queued in the caller's transaction.

use helium_framework::error::ServiceError;
use helium_framework::outbox;
use helium_mailer::events::{SEND_EMAIL, SendEmail};

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
    let product = &config.frontend.product_name;
    let minutes = email.lifetime_secs.div_ceil(60);
    let job = SendEmail {
        to: to.to_owned(),
        subject: format!("Finish creating your {product} account"),
        text_body: format!(
            "Open this link to set your password and finish creating your {product} account:\n\n\
             {}\n\nThe link works once and expires in {minutes} minutes. If you did not ask \
             for an account, ignore this email.\n",
            email.link
        ),
        html_body: None,
    };
    outbox::enqueue(connection, SEND_EMAIL, &job).await?;
    Ok(())
}

pub async fn queue_password_reset(
    connection: &mut sqlx::PgConnection,
    config: &AuthConfig,
    to: &str,
    email: &LinkEmail<'_>,
) -> Result<(), ServiceError> {
    let product = &config.frontend.product_name;
    let minutes = email.lifetime_secs.div_ceil(60);
    let job = SendEmail {
        to: to.to_owned(),
        subject: format!("Reset your {product} password"),
        text_body: format!(
            "Open this link to choose a new password for your {product} account:\n\n{}\n\n\
             The link works once and expires in {minutes} minutes. Setting a new password \
             signs you out everywhere. If you did not ask for this, ignore this email.\n",
            email.link
        ),
        html_body: None,
    };
    outbox::enqueue(connection, SEND_EMAIL, &job).await?;
    Ok(())
}
