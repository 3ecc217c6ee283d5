//! RabbitMQ: the shared connection, publishing with confirms, and the consumer loop.
//!
//! # Topology
//!
//! Domain events go to one durable topic exchange, [`EVENTS_EXCHANGE`], with routing keys
//! `<module>.<entity>.<verb>`. Each consumer owns three durable queues:
//!
//! - `<queue>`, bound to the routing keys it wants;
//! - `<queue>.retry`, where a failed message waits out its back-off (a per-message TTL) before
//!   RabbitMQ dead-letters it back into `<queue>`;
//! - `<queue>.dead`, where a message is parked after the attempt bound, for an operator.

mod consumer;
mod publisher;

pub use consumer::{
    Consumer, DeliveryOutcome, HandlerError, IncomingMessage, QueueSpec, declare_queue,
};
pub use publisher::{OutgoingMessage, Publisher};

use deadpool_lapin::{Config, Pool, Runtime};
use lapin::{Channel, ConnectionProperties};

/// The durable topic exchange every domain event is published to.
pub const EVENTS_EXCHANGE: &str = "helium.events";

/// The largest AMQP frame Helium asks for, unless `MQ_URL` sets `frame_max` itself.
///
/// lapin keeps send and receive buffers of 32 frames per connection; at RabbitMQ's default of
/// 128 KiB that is 8 MiB, a third of an idle worker's memory. Helium's messages are small
/// protobufs, and larger ones are simply split into more frames.
const FRAME_MAX: u32 = 16 * 1024;

/// `url` with `frame_max` set to [`FRAME_MAX`] when the operator did not choose one.
fn with_small_frames(url: &str) -> Result<String, AmqpError> {
    let mut parsed = url::Url::parse(url).map_err(|error| AmqpError::Url(error.to_string()))?;
    if parsed.query_pairs().any(|(name, _)| name == "frame_max") {
        return Ok(url.to_owned());
    }
    parsed
        .query_pairs_mut()
        .append_pair("frame_max", &FRAME_MAX.to_string());
    Ok(parsed.to_string())
}

/// A cheap-to-clone handle on the process's RabbitMQ connection pool.
///
/// Connections are made on first use and replaced when broken, so a worker outlives a broker
/// restart: it reports itself unready meanwhile and carries on when RabbitMQ returns.
#[derive(Clone)]
pub struct AmqpConnection {
    pool: Pool,
}

#[derive(Debug, thiserror::Error)]
pub enum AmqpError {
    #[error("cannot reach RabbitMQ: {0}")]
    Pool(#[from] deadpool_lapin::PoolError),
    #[error("RabbitMQ operation failed: {0}")]
    Protocol(#[from] lapin::Error),
    #[error("RabbitMQ refused to take the message")]
    Refused,
    #[error("invalid RabbitMQ URL: {0}")]
    Url(String),
    #[error("the RabbitMQ connection is closed")]
    Disconnected,
}

impl AmqpConnection {
    /// Checks that `url` is an AMQP URL, without connecting or needing a runtime.
    pub fn validate_url(url: &str) -> Result<(), AmqpError> {
        url.parse::<lapin::uri::AMQPUri>()
            .map(drop)
            .map_err(AmqpError::Url)
    }

    /// Builds the pool for `url` without connecting. Must run inside the Tokio runtime.
    pub fn new(url: &str) -> Result<Self, AmqpError> {
        Self::validate_url(url)?;
        let config = Config {
            url: Some(with_small_frames(url)?),
            ..Config::default()
        };
        let pool = config
            .create_pool(ConnectionProperties::default, Runtime::Tokio1)
            .map_err(|error| AmqpError::Url(error.to_string()))?;
        Ok(Self { pool })
    }

    /// Opens a channel on a pooled connection, connecting first if needed.
    pub async fn channel(&self) -> Result<Channel, AmqpError> {
        let connection = self.pool.get().await?;
        Ok(connection.create_channel().await?)
    }

    /// The readiness probe's RabbitMQ check: a live connection can be had from the pool.
    pub async fn check(&self) -> Result<(), AmqpError> {
        let connection = self.pool.get().await?;
        if connection.status().connected() {
            Ok(())
        } else {
            Err(AmqpError::Disconnected)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_frames_are_asked_for_unless_the_url_chooses() {
        let default = with_small_frames("amqp://guest:guest@127.0.0.1:5672/%2f").unwrap();
        let chosen = with_small_frames("amqp://127.0.0.1/%2f?frame_max=131072").unwrap();

        assert_eq!(
            default,
            "amqp://guest:guest@127.0.0.1:5672/%2f?frame_max=16384"
        );
        assert_eq!(chosen, "amqp://127.0.0.1/%2f?frame_max=131072");
        assert!(default.parse::<lapin::uri::AMQPUri>().is_ok());
    }
}
