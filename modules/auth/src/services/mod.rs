//! The auth module's use cases. No SQL here: entities do the storage.
//!
//! Every service is a [`Processor`](helium_framework::processor::Processor) per request type
//! and returns [`ServiceError`](helium_framework::error::ServiceError), whose messages are
//! written for a frontend to show.

pub mod account;
pub mod account_security;
pub mod customer_admin;
mod email;
pub mod mfa;
pub mod oauth;
pub mod password_reset;
pub mod registration;
pub mod reverification;
pub mod session;
pub mod sign_in;

use helium_framework::error::ServiceError;
use helium_framework::processor::{DatabaseProcessor, Processor};
use uuid::Uuid;

use crate::entities::db::user_account::{FindUserById, UserAccountRow};

/// A signed-in customer's account. Its token may outlive it (an account removed since), which
/// the caller hears as a session that no longer works.
pub(crate) async fn existing_account(
    db: &DatabaseProcessor,
    user_id: Uuid,
) -> Result<UserAccountRow, ServiceError> {
    db.process(FindUserById { id: user_id })
        .await?
        .ok_or_else(|| ServiceError::Unauthenticated("the account no longer exists".into()))
}

/// Checks the shape of an email address and returns it trimmed.
pub(crate) fn parse_email(email: &str) -> Result<String, ServiceError> {
    let email = email.trim();
    if email.len() > 254 {
        return Err(ServiceError::InvalidArgument(
            "the email address is too long".into(),
        ));
    }
    helium_framework::config::validate::email("email", email)
        .map_err(|_| ServiceError::InvalidArgument(format!("{email:?} is not an email address")))?;
    Ok(email.to_owned())
}

/// The caller's address as an IP, for rate limits; see [`helium_shield::services::source_ip`].
pub(crate) fn ip_of(address: &str) -> std::net::IpAddr {
    helium_shield::services::source_ip(address)
}

/// A device label: what the caller sent, cut to a sane length, or "unknown device".
pub(crate) fn device_label(device: &str) -> String {
    let device: String = device.trim().chars().take(120).collect();
    if device.is_empty() {
        "unknown device".to_owned()
    } else {
        device
    }
}
