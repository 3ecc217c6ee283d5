//! The `consumer` worker: relays the outbox and runs the modules' event consumers.
//!
//! No module consumes events yet; the first ones (audit log, billing) register here.

use helium_framework::outbox::OutboxRelay;
use tokio_util::sync::CancellationToken;

use super::Infra;

pub async fn run(infra: Infra, shutdown: CancellationToken) -> anyhow::Result<()> {
    let relay = OutboxRelay::new(infra.db, infra.amqp);
    relay.run(shutdown).await;
    Ok(())
}
