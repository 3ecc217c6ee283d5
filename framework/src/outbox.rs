//! The transactional outbox and its relay.
//!
//! A service that changes data and announces it calls [`enqueue`] inside the same transaction,
//! so the event exists exactly when the change does. [`OutboxRelay`] then publishes pending
//! events to RabbitMQ with confirms and marks them relayed. While RabbitMQ is unreachable the
//! events simply wait in PostgreSQL.
//!
//! Delivery is at least once: a relay that dies after the broker's confirm but before its own
//! commit publishes that batch again. Every message carries the event id as its `message_id`,
//! which consumers use to drop the repeat.

use std::time::Duration;

use lapin::types::FieldTable;
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::amqp::{AmqpConnection, AmqpError, EVENTS_EXCHANGE, OutgoingMessage, Publisher};

/// Writes `event` to the outbox on `connection`, normally inside the caller's transaction.
///
/// Returns the event id, which becomes the message id on the broker.
pub async fn enqueue<M>(
    connection: &mut PgConnection,
    routing_key: &str,
    event: &M,
) -> Result<Uuid, sqlx::Error>
where
    M: prost::Message + prost::Name,
{
    let id = Uuid::now_v7();
    sqlx::query!(
        "INSERT INTO public.outbox_event (id, routing_key, type_name, payload)
         VALUES ($1, $2, $3, $4)",
        id,
        routing_key,
        M::full_name(),
        event.encode_to_vec(),
    )
    .execute(connection)
    .await?;
    Ok(id)
}

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("outbox query failed: {0}")]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Broker(#[from] AmqpError),
}

/// What one pass of the relay did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelayOutcome {
    /// This many events were published and marked relayed.
    Relayed(usize),
    /// Nothing was pending.
    Empty,
}

/// Drains the outbox into RabbitMQ.
///
/// Several relays may run at once (one per `consumer` replica): each pass locks the rows it
/// takes with `SKIP LOCKED`, so they share the work instead of publishing twice.
pub struct OutboxRelay {
    db: PgPool,
    amqp: AmqpConnection,
    /// Events taken per pass.
    pub batch_size: i64,
    /// Pause after a pass that found nothing.
    pub idle_wait: Duration,
}

impl OutboxRelay {
    pub fn new(db: PgPool, amqp: AmqpConnection) -> Self {
        Self {
            db,
            amqp,
            batch_size: 100,
            idle_wait: Duration::from_millis(500),
        }
    }

    /// Relays until `shutdown` fires, reopening the channel with back-off after a broker error.
    pub async fn run(&self, shutdown: CancellationToken) {
        let mut publisher: Option<Publisher> = None;
        let mut error_wait = Duration::from_millis(250);

        while !shutdown.is_cancelled() {
            let wait = match self.pass(&mut publisher).await {
                Ok(RelayOutcome::Relayed(count)) => {
                    tracing::debug!(count, "outbox events relayed");
                    error_wait = Duration::from_millis(250);
                    continue;
                }
                Ok(RelayOutcome::Empty) => self.idle_wait,
                Err(error) => {
                    tracing::warn!(%error, "outbox relay pass failed; events stay pending");
                    publisher = None;
                    error_wait = (error_wait * 2).min(Duration::from_secs(10));
                    error_wait
                }
            };
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// One pass, opening a publisher first if there is none or it broke.
    async fn pass(&self, publisher: &mut Option<Publisher>) -> Result<RelayOutcome, RelayError> {
        let usable = publisher.as_ref().is_some_and(Publisher::is_usable);
        if !usable {
            *publisher = None;
            // Don't hold a broker channel open while there is nothing to send.
            if !self.has_pending().await? {
                return Ok(RelayOutcome::Empty);
            }
            *publisher = Some(Publisher::open(&self.amqp).await?);
        }
        match publisher.as_ref() {
            Some(publisher) => self.relay_batch(publisher).await,
            None => Ok(RelayOutcome::Empty),
        }
    }

    async fn has_pending(&self) -> Result<bool, sqlx::Error> {
        let pending = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM public.outbox_event WHERE relayed_at IS NULL)
               AS "pending!""#
        )
        .fetch_one(&self.db)
        .await?;
        Ok(pending)
    }

    /// Publishes one batch of pending events and marks them relayed, all or nothing.
    pub async fn relay_batch(&self, publisher: &Publisher) -> Result<RelayOutcome, RelayError> {
        let mut transaction = self.db.begin().await?;
        let events = sqlx::query!(
            "SELECT id, routing_key, type_name, payload
             FROM public.outbox_event
             WHERE relayed_at IS NULL
             ORDER BY id
             LIMIT $1
             FOR UPDATE SKIP LOCKED",
            self.batch_size,
        )
        .fetch_all(&mut *transaction)
        .await?;
        if events.is_empty() {
            return Ok(RelayOutcome::Empty);
        }

        let mut relayed = Vec::with_capacity(events.len());
        for event in events {
            publisher
                .publish(OutgoingMessage {
                    exchange: EVENTS_EXCHANGE,
                    routing_key: &event.routing_key,
                    message_id: event.id.to_string(),
                    type_name: &event.type_name,
                    payload: &event.payload,
                    headers: FieldTable::default(),
                    expiration_ms: None,
                })
                .await?;
            relayed.push(event.id);
        }

        sqlx::query!(
            "UPDATE public.outbox_event SET relayed_at = now() WHERE id = ANY($1)",
            &relayed,
        )
        .execute(&mut *transaction)
        .await?;
        transaction.commit().await?;

        metrics::counter!("helium_outbox_relayed_total").increment(relayed.len() as u64);
        Ok(RelayOutcome::Relayed(relayed.len()))
    }
}

/// Deletes relayed events older than `older_than`; the cron job `outbox.purge` calls it.
pub async fn purge_relayed(db: &PgPool, older_than: Duration) -> Result<u64, sqlx::Error> {
    let seconds = i64::try_from(older_than.as_secs()).unwrap_or(i64::MAX);
    let result = sqlx::query!(
        "DELETE FROM public.outbox_event
         WHERE relayed_at < now() - make_interval(secs => $1::bigint)",
        seconds,
    )
    .execute(db)
    .await?;
    Ok(result.rows_affected())
}
