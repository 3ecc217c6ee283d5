//! The `mailer` worker: delivers queued emails over SMTP.

use helium_framework::amqp::{Consumer, QueueSpec};
use helium_mailer::events::{SEND_EMAIL, SEND_QUEUE};
use helium_mailer::services::MailDelivery;
use tokio_util::sync::CancellationToken;

use super::Infra;

pub async fn run(infra: Infra, shutdown: CancellationToken) -> anyhow::Result<()> {
    let delivery = MailDelivery::new(infra.configs(), infra.redis.clone());
    let consumer = Consumer::new(
        infra.amqp,
        QueueSpec::new(SEND_QUEUE, &[SEND_EMAIL]),
        delivery,
    );
    consumer.run(shutdown).await;
    Ok(())
}
