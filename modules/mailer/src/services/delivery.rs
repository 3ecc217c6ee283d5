//! SMTP delivery of one queued email.

use std::time::Duration;

use helium_framework::amqp::{HandlerError, IncomingMessage};
use helium_framework::config::ConfigStore;
use helium_framework::processor::Processor;
use helium_framework::redis::RedisConnection;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use prost::Message as _;
use redis::AsyncCommands;
use tokio::sync::Mutex;

use crate::config::{MailerConfig, SmtpSecurity};
use crate::events::SendEmail;

/// How long a sent message id is remembered, which bounds how late a redelivery is caught.
const SENT_MEMORY: Duration = Duration::from_secs(7 * 24 * 3600);
/// The longest one SMTP conversation may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

type Transport = AsyncSmtpTransport<Tokio1Executor>;

/// Delivers [`SendEmail`] jobs; the handler of the `mailer.send` queue.
///
/// The SMTP transport (and its connection pool) is built from the `mailer` configuration and
/// rebuilt when that configuration changes, so operators can switch servers without a restart.
pub struct MailDelivery {
    configs: ConfigStore,
    redis: RedisConnection,
    transport: Mutex<Option<(MailerConfig, Transport)>>,
}

impl MailDelivery {
    pub fn new(configs: ConfigStore, redis: RedisConnection) -> Self {
        Self {
            configs,
            redis,
            transport: Mutex::new(None),
        }
    }

    /// The transport for the current configuration, built on first use or after a change.
    async fn transport(&self, config: &MailerConfig) -> Result<Transport, HandlerError> {
        let mut cached = self.transport.lock().await;
        if let Some((built_for, transport)) = cached.as_ref()
            && built_for == config
        {
            return Ok(transport.clone());
        }
        let transport = build_transport(config).map_err(HandlerError::Permanent)?;
        *cached = Some((config.clone(), transport.clone()));
        Ok(transport)
    }

    async fn already_sent(&self, message_id: &str) -> Result<bool, HandlerError> {
        let mut redis = self.redis.get().await.map_err(transient)?;
        let key = self.redis.key("mailer", "sent", message_id);
        redis.exists(key).await.map_err(transient)
    }

    async fn remember_sent(&self, message_id: &str) -> Result<(), HandlerError> {
        let mut redis = self.redis.get().await.map_err(transient)?;
        let key = self.redis.key("mailer", "sent", message_id);
        redis
            .set_ex(key, 1, SENT_MEMORY.as_secs())
            .await
            .map_err(transient)
    }
}

impl Processor<IncomingMessage> for MailDelivery {
    type Output = ();
    type Error = HandlerError;

    async fn process(&self, message: IncomingMessage) -> Result<(), HandlerError> {
        let job = SendEmail::decode(message.payload.as_slice())
            .map_err(|error| HandlerError::Permanent(error.into()))?;
        let message_id = message.message_id.unwrap_or_default();
        if !message_id.is_empty() && self.already_sent(&message_id).await? {
            tracing::info!(%message_id, "email already sent; duplicate dropped");
            return Ok(());
        }

        let config: MailerConfig = self.configs.load().await.map_err(transient)?;
        let email = compose(&config, &job).map_err(HandlerError::Permanent)?;
        let transport = self.transport(&config).await?;
        transport.send(email).await.map_err(|error| {
            if error.is_permanent() {
                HandlerError::Permanent(error.into())
            } else {
                HandlerError::Transient(error.into())
            }
        })?;

        // Recipients are personal data: the log keeps the message id only.
        tracing::info!(%message_id, "email delivered");
        if !message_id.is_empty() {
            self.remember_sent(&message_id).await?;
        }
        Ok(())
    }
}

/// The transport `config` describes. With STARTTLS the upgrade is required, not attempted: a
/// server that does not offer it gets nothing, rather than the message and the password in
/// the clear.
fn build_transport(config: &MailerConfig) -> anyhow::Result<Transport> {
    let tls = match config.security() {
        SmtpSecurity::StartTls => Tls::Required(tls_parameters(config)?),
        SmtpSecurity::ImplicitTls => Tls::Wrapper(tls_parameters(config)?),
        SmtpSecurity::Plaintext => Tls::None,
    };
    let mut builder = Transport::builder_dangerous(&config.host)
        .port(config.port)
        .tls(tls)
        .timeout(Some(SMTP_TIMEOUT));
    if !config.username.is_empty() {
        builder = builder.credentials(Credentials::new(
            config.username.clone(),
            config.password.expose().to_owned(),
        ));
    }
    Ok(builder.build())
}

/// Certificate checks for the configured host: the public authorities (the Mozilla list,
/// built in, so the container needs no CA bundle) and the configured private one, if any.
fn tls_parameters(config: &MailerConfig) -> anyhow::Result<TlsParameters> {
    let mut parameters = TlsParameters::builder(config.host.clone());
    if let Some(pem) = &config.ca_certificate {
        parameters = parameters.add_root_certificate(Certificate::from_pem(pem.as_bytes())?);
    }
    Ok(parameters.build_rustls()?)
}

/// Builds the MIME message: plain text, plus an HTML alternative when the job has one.
fn compose(config: &MailerConfig, job: &SendEmail) -> anyhow::Result<Message> {
    let from: Mailbox = config.sender.parse()?;
    let to: Mailbox = job.to.parse()?;
    let builder = Message::builder()
        .from(from)
        .to(to)
        .subject(job.subject.clone());
    let message = match &job.html_body {
        Some(html) => builder.multipart(MultiPart::alternative_plain_html(
            job.text_body.clone(),
            html.clone(),
        ))?,
        None => builder.singlepart(SinglePart::plain(job.text_body.clone()))?,
    };
    Ok(message)
}

fn transient(error: impl Into<anyhow::Error>) -> HandlerError {
    HandlerError::Transient(error.into())
}
