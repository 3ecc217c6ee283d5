//! Publishing with publisher confirms.

use lapin::Confirmation;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, ExchangeKind};

use super::{AmqpConnection, AmqpError, EVENTS_EXCHANGE};

/// AMQP delivery mode 2: the broker writes the message to disk before confirming it.
const PERSISTENT: u8 = 2;

/// A channel in confirm mode: [`Publisher::publish`] returns only once RabbitMQ has taken
/// responsibility for the message, which is what lets the outbox mark an event as relayed.
pub struct Publisher {
    channel: Channel,
}

/// One message to publish.
pub struct OutgoingMessage<'a> {
    pub exchange: &'a str,
    pub routing_key: &'a str,
    /// Stable across redeliveries and republishing, so consumers can drop duplicates.
    pub message_id: String,
    /// The protobuf type name of `payload`.
    pub type_name: &'a str,
    pub payload: &'a [u8],
    pub headers: FieldTable,
    /// Milliseconds the message may wait in a queue; used for retry back-off.
    pub expiration_ms: Option<u64>,
}

impl Publisher {
    /// Opens a confirm-mode channel and makes sure the events exchange exists.
    pub async fn open(connection: &AmqpConnection) -> Result<Self, AmqpError> {
        let channel = connection.channel().await?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        declare_events_exchange(&channel).await?;
        Ok(Self { channel })
    }

    /// Wraps a channel that is already in confirm mode.
    pub(crate) fn from_confirm_channel(channel: Channel) -> Self {
        Self { channel }
    }

    /// Whether the underlying channel can still be used; a broken one must be replaced.
    pub fn is_usable(&self) -> bool {
        self.channel.status().connected()
    }

    /// Publishes and waits for the broker's confirm.
    pub async fn publish(&self, message: OutgoingMessage<'_>) -> Result<(), AmqpError> {
        let mut properties = BasicProperties::default()
            .with_message_id(message.message_id.into())
            .with_type(message.type_name.into())
            .with_content_type("application/x-protobuf".into())
            .with_delivery_mode(PERSISTENT)
            .with_headers(message.headers);
        if let Some(expiration) = message.expiration_ms {
            properties = properties.with_expiration(expiration.to_string().into());
        }

        let confirmation = self
            .channel
            .basic_publish(
                message.exchange.into(),
                message.routing_key.into(),
                BasicPublishOptions::default(),
                message.payload,
                properties,
            )
            .await?
            .await?;

        match confirmation {
            Confirmation::Ack(_) => Ok(()),
            Confirmation::Nack(_) | Confirmation::NotRequested => Err(AmqpError::Refused),
        }
    }
}

pub(crate) async fn declare_events_exchange(channel: &Channel) -> Result<(), AmqpError> {
    let options = ExchangeDeclareOptions {
        durable: true,
        ..ExchangeDeclareOptions::default()
    };
    channel
        .exchange_declare(
            EVENTS_EXCHANGE.into(),
            ExchangeKind::Topic,
            options,
            FieldTable::default(),
        )
        .await?;
    Ok(())
}
