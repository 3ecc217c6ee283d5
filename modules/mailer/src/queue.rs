//! Queueing an email inside the sender's own database transaction.

use helium_framework::outbox;
use lettre::message::Mailbox;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::events::{SEND_EMAIL, SendEmail};
use crate::templates::RenderedEmail;

#[derive(Debug, thiserror::Error)]
pub enum EnqueueError {
    /// The recipient is not an address the mailer could send to. The address is left out of
    /// the message: it is personal data, and errors end up in logs.
    #[error("the recipient is not a valid email address")]
    InvalidRecipient,
    #[error("writing the email to the outbox failed: {0}")]
    Database(#[from] sqlx::Error),
}

/// Queues `email` for delivery to `to`, as part of the transaction `connection` is in.
///
/// Call it in the transaction that makes the change the email is about (the row holding a
/// registration token, say): the email then exists exactly when the change commits, and a
/// rollback takes it back. After commit the outbox relay publishes the job with routing key
/// [`SEND_EMAIL`] and the `mailer` worker delivers it.
///
/// Returns the job id, which is also the message id the worker drops redeliveries by.
///
/// # Errors
///
/// [`EnqueueError::InvalidRecipient`] when `to` does not parse as a mailbox, and
/// [`EnqueueError::Database`] when the outbox row cannot be written, which leaves the caller's
/// transaction failed.
#[tracing::instrument(name = "Queueing an email", skip_all, level = "debug")]
pub async fn enqueue_email(
    connection: &mut PgConnection,
    to: &str,
    email: &RenderedEmail,
) -> Result<Uuid, EnqueueError> {
    // The worker parses the recipient with the same parser, so an address accepted here is
    // never refused there for its syntax, long after the sender could have said so.
    to.parse::<Mailbox>()
        .map_err(|_| EnqueueError::InvalidRecipient)?;

    let job = SendEmail {
        to: to.to_owned(),
        subject: email.subject.clone(),
        text_body: email.text_body.clone(),
        html_body: Some(email.html_body.clone()),
    };
    let id = outbox::enqueue(connection, SEND_EMAIL, &job).await?;
    tracing::debug!(%id, "email queued");
    Ok(id)
}
