use std::time::Duration;

use helium_framework::amqp::{AmqpConnection, QueueSpec, declare_queue};
use helium_framework::outbox::{self, OutboxRelay};
use helium_framework::testing::{TestDatabase, delete_queues, mq_url, unique_name};
use lapin::options::BasicGetOptions;
use prost::Message as _;
use tokio_util::sync::CancellationToken;

use crate::support::SwitchableProxy;

#[tokio::test]
async fn an_event_written_while_rabbitmq_is_down_is_relayed_once_after_it_returns() {
    // Arrange: the relay reaches RabbitMQ only through a proxy that is down; the test watches
    // the queue over a direct connection.
    let db = TestDatabase::create().await;
    let proxy = SwitchableProxy::start("127.0.0.1:5672").await;
    proxy.set_up(false);
    let through_proxy = AmqpConnection::new(&format!(
        "amqp://guest:guest@127.0.0.1:{}/%2f",
        proxy.port()
    ))
    .unwrap();
    let direct = AmqpConnection::new(&mq_url()).unwrap();
    let watcher = direct.channel().await.unwrap();
    let routing_key = unique_name("test.outbox");
    let spec = QueueSpec::new(unique_name("test-outbox"), &[routing_key.as_str()]);
    declare_queue(&watcher, &spec).await.unwrap();

    let mut relay = OutboxRelay::new(db.pool.clone(), through_proxy);
    relay.idle_wait = Duration::from_millis(50);
    let shutdown = CancellationToken::new();
    let relay_task = tokio::spawn({
        let shutdown = shutdown.clone();
        async move { relay.run(shutdown).await }
    });

    // Act: write the event during the outage.
    let event = prost_types::Duration {
        seconds: 42,
        nanos: 0,
    };
    let mut connection = db.pool.acquire().await.unwrap();
    let event_id = outbox::enqueue(&mut connection, &routing_key, &event)
        .await
        .unwrap();
    drop(connection);
    tokio::time::sleep(Duration::from_millis(1500)).await;

    // Assert: it waits in PostgreSQL, not lost and not delivered.
    assert_eq!(pending_events(&db).await, 1);
    let nothing = watcher
        .basic_get(spec.queue.as_str().into(), BasicGetOptions { no_ack: true })
        .await
        .unwrap();
    assert!(
        nothing.is_none(),
        "nothing can be delivered while RabbitMQ is unreachable"
    );

    // Act: RabbitMQ comes back.
    proxy.set_up(true);

    // Assert: delivered exactly once, with the event id as message id, and marked relayed.
    let delivered = wait_for_message(&watcher, &spec.queue, Duration::from_secs(20)).await;
    assert_eq!(
        delivered.properties.message_id().as_ref().unwrap().as_str(),
        event_id.to_string()
    );
    assert_eq!(
        prost_types::Duration::decode(delivered.data.as_slice()).unwrap(),
        event
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let second = watcher
        .basic_get(spec.queue.as_str().into(), BasicGetOptions { no_ack: true })
        .await
        .unwrap();
    assert!(second.is_none(), "the event must be delivered once");
    assert_eq!(pending_events(&db).await, 0);

    shutdown.cancel();
    relay_task.await.unwrap();
    delete_queues(&direct, &spec).await;
    db.drop_database().await;
}

async fn pending_events(db: &TestDatabase) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM public.outbox_event WHERE relayed_at IS NULL")
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

pub async fn wait_for_message(
    channel: &lapin::Channel,
    queue: &str,
    within: Duration,
) -> lapin::message::BasicGetMessage {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let message = channel
            .basic_get(queue.into(), BasicGetOptions { no_ack: true })
            .await
            .unwrap();
        if let Some(message) = message {
            return message;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no message on {queue} within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
