//! The `mailer` module: Helium's emails, from template to SMTP.
//!
//! A module that needs to tell someone something renders an [`templates::EmailTemplate`] with
//! the operator's [`templates::Branding`] and queues the result with [`queue::enqueue_email`],
//! inside the transaction that makes the change the email is about. The outbox relay publishes
//! the [`events::SendEmail`] job after commit; the `mailer` worker consumes the `mailer.send`
//! queue and hands each message to the SMTP server named by the `mailer` configuration.
//! Retries, back-off and dead-lettering come from the framework's consumer loop.
//!
//! ```no_run
//! # async fn example(pool: sqlx::PgPool) -> anyhow::Result<()> {
//! use helium_mailer::{Branding, EmailTemplate, OneTimeLink, enqueue_email};
//!
//! let brand = Branding {
//!     product_name: "Example VPN".to_owned(),
//!     support_email: Some("help@example.com".to_owned()),
//! };
//! let email = EmailTemplate::PasswordReset {
//!     link: OneTimeLink::parse("https://vpn.example.com/reset?token=...")?,
//!     expires_in_minutes: 30,
//! }
//! .render(&brand)?;
//!
//! let mut transaction = pool.begin().await?;
//! // ... store the reset token through `&mut *transaction` ...
//! enqueue_email(&mut transaction, "customer@example.com", &email).await?;
//! transaction.commit().await?;
//! # Ok(())
//! # }
//! ```
//!
//! # Layout
//!
//! - [`config`]: the `mailer` configuration.
//! - [`events`]: the job message and its routing key.
//! - [`templates`]: the emails and their wording (files under `templates/`).
//! - [`queue`]: queueing a rendered email in the sender's transaction.
//! - [`services`]: SMTP delivery, deduplicated by message id.

#![forbid(unsafe_code)]
#![forbid(clippy::unwrap_used)]
#![deny(clippy::expect_used)]
#![deny(clippy::panic)]

pub mod config;
pub mod events;
pub mod queue;
pub mod services;
pub mod templates;

pub use queue::{EnqueueError, enqueue_email};
pub use templates::{
    Branding, EmailTemplate, OneTimeLink, RenderError, RenderedEmail, SecurityEvent,
};
