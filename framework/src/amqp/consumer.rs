//! The consumer loop: acknowledge after success, retry with back-off, park poison messages.

use std::time::Duration;

use futures::StreamExt;
use kanau::processor::Processor;
use lapin::Channel;
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicQosOptions, ConfirmSelectOptions, QueueBindOptions,
    QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use tokio_util::sync::CancellationToken;

use super::publisher::declare_events_exchange;
use super::{AmqpConnection, AmqpError, EVENTS_EXCHANGE, OutgoingMessage, Publisher};

/// Header counting the failed attempts a message has been through.
const ATTEMPT_HEADER: &str = "x-helium-attempt";
/// Header keeping the original routing key across the trip through the retry queue, which
/// otherwise rewrites it to the queue name.
const ROUTING_KEY_HEADER: &str = "x-helium-routing-key";
/// Header recording why a message was parked, for the operator reading the dead queue.
const ERROR_HEADER: &str = "x-helium-error";
/// The longest a message waits before its next attempt.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// Which queue a consumer reads and how patient it is with failures.
#[derive(Clone, Debug)]
pub struct QueueSpec {
    pub queue: String,
    /// Routing keys (topic patterns) bound on [`EVENTS_EXCHANGE`].
    pub routing_keys: Vec<String>,
    /// Attempts before a message is parked in `<queue>.dead`.
    pub max_attempts: u32,
    /// Wait before the second attempt; each later wait doubles, up to five minutes.
    pub first_backoff: Duration,
    /// Messages RabbitMQ hands over before the previous ones are acknowledged.
    pub prefetch: u16,
}

impl QueueSpec {
    pub fn new(queue: impl Into<String>, routing_keys: &[&str]) -> Self {
        Self {
            queue: queue.into(),
            routing_keys: routing_keys.iter().map(|key| (*key).to_owned()).collect(),
            max_attempts: 5,
            first_backoff: Duration::from_secs(1),
            prefetch: 16,
        }
    }

    fn retry_queue(&self) -> String {
        format!("{}.retry", self.queue)
    }

    fn dead_queue(&self) -> String {
        format!("{}.dead", self.queue)
    }

    /// The wait before the attempt after `failures` failed ones.
    fn backoff(&self, failures: u32) -> Duration {
        let factor = 2u32.saturating_pow(failures.saturating_sub(1));
        self.first_backoff.saturating_mul(factor).min(MAX_BACKOFF)
    }
}

/// A delivered message, as a handler sees it.
#[derive(Clone, Debug)]
pub struct IncomingMessage {
    /// The routing key the message was first published with.
    pub routing_key: String,
    /// The publisher's id; the same on every redelivery, for deduplication.
    pub message_id: Option<String>,
    pub type_name: Option<String>,
    pub payload: Vec<u8>,
    /// Failed attempts before this one.
    pub previous_failures: u32,
}

/// Why a handler could not process a message.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// Worth another try later: a database or network hiccup.
    #[error("transient failure: {0:#}")]
    Transient(anyhow::Error),
    /// Can never succeed, such as an undecodable payload: parked at once.
    #[error("permanent failure: {0:#}")]
    Permanent(anyhow::Error),
}

/// What became of one delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Processed,
    /// Sent to the retry queue; it comes back after `delay`.
    RetryScheduled {
        failures: u32,
        delay: Duration,
    },
    /// Parked in the dead-letter queue.
    DeadLettered,
}

/// Declares the exchange and the consumer's three queues. Idempotent.
pub async fn declare_queue(channel: &Channel, spec: &QueueSpec) -> Result<(), AmqpError> {
    let durable = QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    };
    declare_events_exchange(channel).await?;

    channel
        .queue_declare(spec.queue.as_str().into(), durable, FieldTable::default())
        .await?;
    for routing_key in &spec.routing_keys {
        channel
            .queue_bind(
                spec.queue.as_str().into(),
                EVENTS_EXCHANGE.into(),
                routing_key.as_str().into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
    }

    // An expired message in the retry queue goes back to the main queue through the default
    // exchange, which routes by queue name.
    let mut retry_arguments = FieldTable::default();
    retry_arguments.insert("x-dead-letter-exchange".into(), string_value(""));
    retry_arguments.insert(
        "x-dead-letter-routing-key".into(),
        string_value(&spec.queue),
    );
    channel
        .queue_declare(spec.retry_queue().as_str().into(), durable, retry_arguments)
        .await?;

    channel
        .queue_declare(
            spec.dead_queue().as_str().into(),
            durable,
            FieldTable::default(),
        )
        .await?;
    Ok(())
}

/// Reads one queue and hands each message to a handler, until shutdown.
///
/// Messages are processed one at a time and acknowledged only after the handler returns, so a
/// consumer that dies mid-message leaves it with RabbitMQ for redelivery.
pub struct Consumer<H> {
    connection: AmqpConnection,
    spec: QueueSpec,
    handler: H,
}

impl<H> Consumer<H>
where
    H: Processor<IncomingMessage, Output = (), Error = HandlerError> + Send + Sync,
{
    pub fn new(connection: AmqpConnection, spec: QueueSpec, handler: H) -> Self {
        Self {
            connection,
            spec,
            handler,
        }
    }

    /// Consumes until `shutdown` fires, reconnecting with back-off when the broker goes away.
    pub async fn run(&self, shutdown: CancellationToken) {
        let mut reconnect_delay = Duration::from_millis(250);
        while !shutdown.is_cancelled() {
            match self.consume_until_broken(&shutdown).await {
                Ok(()) => return,
                Err(error) => {
                    tracing::warn!(queue = %self.spec.queue, %error, "consumer lost RabbitMQ");
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(reconnect_delay) => {}
            }
            reconnect_delay = (reconnect_delay * 2).min(Duration::from_secs(10));
        }
    }

    /// Consumes on one channel until shutdown (`Ok`) or until the channel breaks (`Err`).
    async fn consume_until_broken(&self, shutdown: &CancellationToken) -> Result<(), AmqpError> {
        let channel = self.connection.channel().await?;
        channel
            .basic_qos(self.spec.prefetch, BasicQosOptions::default())
            .await?;
        // Retries and dead letters are published on this same channel, with confirms, before
        // the original is acknowledged.
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        declare_queue(&channel, &self.spec).await?;
        let mut deliveries = channel
            .basic_consume(
                self.spec.queue.as_str().into(),
                ShortString::from(""),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        tracing::info!(queue = %self.spec.queue, "consuming");

        loop {
            let delivery = tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                delivery = deliveries.next() => delivery,
            };
            let Some(delivery) = delivery else {
                return Err(AmqpError::Disconnected);
            };
            // The message in hand is finished even when shutdown fires meanwhile.
            self.handle_delivery(&channel, delivery?).await?;
        }
    }

    /// Processes one delivery and settles it: the unit of work of the loop.
    pub async fn handle_delivery(
        &self,
        channel: &Channel,
        delivery: Delivery,
    ) -> Result<DeliveryOutcome, AmqpError> {
        let message = incoming_message(&delivery);
        let previous_failures = message.previous_failures;
        let result = self.handler.process(message.clone()).await;

        let outcome = match result {
            Ok(()) => DeliveryOutcome::Processed,
            Err(error) => {
                let failures = previous_failures.saturating_add(1);
                let give_up = matches!(error, HandlerError::Permanent(_))
                    || failures >= self.spec.max_attempts;
                tracing::warn!(queue = %self.spec.queue, failures, %error, "handler failed");
                let publisher = Publisher::from_confirm_channel(channel.clone());
                if give_up {
                    self.park(&publisher, &message, failures, &error).await?;
                    DeliveryOutcome::DeadLettered
                } else {
                    let delay = self.spec.backoff(failures);
                    self.schedule_retry(&publisher, &message, failures, delay)
                        .await?;
                    DeliveryOutcome::RetryScheduled { failures, delay }
                }
            }
        };

        delivery.acker.ack(BasicAckOptions::default()).await?;
        metrics::counter!(
            "helium_amqp_messages_total",
            "queue" => self.spec.queue.clone(),
            "outcome" => outcome.label(),
        )
        .increment(1);
        Ok(outcome)
    }

    async fn schedule_retry(
        &self,
        publisher: &Publisher,
        message: &IncomingMessage,
        failures: u32,
        delay: Duration,
    ) -> Result<(), AmqpError> {
        let headers = tracking_headers(message, failures, None);
        let expiration_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        republish(
            publisher,
            &self.spec.retry_queue(),
            message,
            headers,
            Some(expiration_ms),
        )
        .await
    }

    async fn park(
        &self,
        publisher: &Publisher,
        message: &IncomingMessage,
        failures: u32,
        error: &HandlerError,
    ) -> Result<(), AmqpError> {
        tracing::error!(queue = %self.spec.queue, failures, %error, "message dead-lettered");
        let headers = tracking_headers(message, failures, Some(error));
        republish(publisher, &self.spec.dead_queue(), message, headers, None).await
    }
}

/// Publishes a copy of `message` straight to `queue` through the default exchange.
async fn republish(
    publisher: &Publisher,
    queue: &str,
    message: &IncomingMessage,
    headers: FieldTable,
    expiration_ms: Option<u64>,
) -> Result<(), AmqpError> {
    publisher
        .publish(OutgoingMessage {
            exchange: "",
            routing_key: queue,
            message_id: message.message_id.clone().unwrap_or_default(),
            type_name: message.type_name.as_deref().unwrap_or_default(),
            payload: &message.payload,
            headers,
            expiration_ms,
        })
        .await
}

impl DeliveryOutcome {
    fn label(&self) -> &'static str {
        match self {
            Self::Processed => "processed",
            Self::RetryScheduled { .. } => "retried",
            Self::DeadLettered => "dead_lettered",
        }
    }
}

fn incoming_message(delivery: &Delivery) -> IncomingMessage {
    let headers = delivery.properties.headers().as_ref();
    let header = |name: &str| headers.and_then(|table| table.inner().get(name));
    let previous_failures = match header(ATTEMPT_HEADER) {
        Some(AMQPValue::LongUInt(failures)) => *failures,
        _ => 0,
    };
    let routing_key = match header(ROUTING_KEY_HEADER) {
        Some(AMQPValue::LongString(key)) => String::from_utf8_lossy(key.as_bytes()).into_owned(),
        _ => delivery.routing_key.to_string(),
    };
    IncomingMessage {
        routing_key,
        message_id: delivery
            .properties
            .message_id()
            .as_ref()
            .map(ToString::to_string),
        type_name: delivery.properties.kind().as_ref().map(ToString::to_string),
        payload: delivery.data.clone(),
        previous_failures,
    }
}

fn tracking_headers(
    message: &IncomingMessage,
    failures: u32,
    error: Option<&HandlerError>,
) -> FieldTable {
    let mut headers = FieldTable::default();
    headers.insert(ATTEMPT_HEADER.into(), AMQPValue::LongUInt(failures));
    headers.insert(
        ROUTING_KEY_HEADER.into(),
        string_value(&message.routing_key),
    );
    if let Some(error) = error {
        let mut reason = error.to_string();
        reason.truncate(1000);
        headers.insert(ERROR_HEADER.into(), string_value(&reason));
    }
    headers
}

fn string_value(value: &str) -> AMQPValue {
    AMQPValue::LongString(value.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_first_wait_and_is_capped() {
        let spec = QueueSpec::new("q", &[]);

        assert_eq!(spec.backoff(1), Duration::from_secs(1));
        assert_eq!(spec.backoff(2), Duration::from_secs(2));
        assert_eq!(spec.backoff(4), Duration::from_secs(8));
        assert_eq!(spec.backoff(40), MAX_BACKOFF);
    }
}
