//! Registration and password-reset emails: limits per source address and per recipient.

use std::net::IpAddr;

use helium_framework::error::ServiceError;
use helium_framework::processor::Processor;

use super::shield::{Shield, counter};
use crate::entities::redis::Subject;
use crate::entities::redis::counter::{CountEvent, CounterKind};

/// A registration or password-reset email about to be queued: counted, or refused with
/// `ResourceExhausted`.
///
/// The per-address limit stops one client from mailing many strangers; the per-recipient
/// limit stops many clients from flooding one inbox. Neither cares whether an account exists,
/// so a refusal reveals nothing about the recipient.
pub struct AdmitEmailRequest {
    /// Where the request comes from, as the transport layer determined it.
    pub address: IpAddr,
    /// The email address the message would go to.
    pub recipient: String,
}

impl Processor<AdmitEmailRequest> for Shield {
    type Output = ();
    type Error = ServiceError;

    #[tracing::instrument(name = "Admitting an email request", skip_all, level = "debug")]
    async fn process(&self, input: AdmitEmailRequest) -> Result<(), ServiceError> {
        let config = self.config().await?;

        let event = CountEvent {
            lock: None,
            counters: vec![
                counter(
                    CounterKind::EmailPerAddress,
                    Subject::address(input.address),
                    config.email_per_address,
                ),
                counter(
                    CounterKind::EmailPerRecipient,
                    Subject::email(&input.recipient),
                    config.email_per_recipient,
                ),
            ],
        };
        self.count(event, "emails requested").await
    }
}
