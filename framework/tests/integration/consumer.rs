use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use futures::StreamExt;
use helium_framework::amqp::{
    AmqpConnection, Consumer, EVENTS_EXCHANGE, HandlerError, IncomingMessage, OutgoingMessage,
    Publisher, QueueSpec, declare_queue,
};
use helium_framework::processor::Processor;
use helium_framework::testing::{delete_queues, mq_url, unique_name};
use lapin::options::BasicConsumeOptions;
use lapin::types::{AMQPValue, FieldTable};
use tokio_util::sync::CancellationToken;

use crate::outbox::wait_for_message;

/// A handler that fails its first `failures` calls, transiently or permanently.
#[derive(Clone)]
struct FlakyHandler {
    calls: Arc<AtomicU32>,
    failures: u32,
    permanent: bool,
}

impl FlakyHandler {
    fn new(failures: u32, permanent: bool) -> Self {
        Self {
            calls: Arc::new(AtomicU32::new(0)),
            failures,
            permanent,
        }
    }

    fn calls(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }
}

impl Processor<IncomingMessage> for FlakyHandler {
    type Output = ();
    type Error = HandlerError;

    async fn process(&self, _message: IncomingMessage) -> Result<(), HandlerError> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if call > self.failures {
            return Ok(());
        }
        let cause = anyhow::anyhow!("failure number {call}");
        Err(if self.permanent {
            HandlerError::Permanent(cause)
        } else {
            HandlerError::Transient(cause)
        })
    }
}

struct Fixture {
    amqp: AmqpConnection,
    spec: QueueSpec,
    routing_key: String,
}

async fn fixture(max_attempts: u32) -> Fixture {
    let amqp = AmqpConnection::new(&mq_url()).unwrap();
    let routing_key = unique_name("test.consumer");
    let mut spec = QueueSpec::new(unique_name("test-consumer"), &[routing_key.as_str()]);
    spec.max_attempts = max_attempts;
    spec.first_backoff = Duration::from_millis(50);
    declare_queue(&amqp.channel().await.unwrap(), &spec)
        .await
        .unwrap();
    Fixture {
        amqp,
        spec,
        routing_key,
    }
}

async fn publish(fixture: &Fixture, message_id: &str) {
    let publisher = Publisher::open(&fixture.amqp).await.unwrap();
    publisher
        .publish(OutgoingMessage {
            exchange: EVENTS_EXCHANGE,
            routing_key: &fixture.routing_key,
            message_id: message_id.to_owned(),
            type_name: "test.Message",
            payload: b"payload",
            headers: FieldTable::default(),
            expiration_ms: None,
        })
        .await
        .unwrap();
}

fn start(
    fixture: &Fixture,
    handler: FlakyHandler,
) -> (CancellationToken, tokio::task::JoinHandle<()>) {
    let consumer = Consumer::new(fixture.amqp.clone(), fixture.spec.clone(), handler);
    let shutdown = CancellationToken::new();
    let task = tokio::spawn({
        let shutdown = shutdown.clone();
        async move { consumer.run(shutdown).await }
    });
    (shutdown, task)
}

async fn wait_for_calls(handler: &FlakyHandler, calls: u32) {
    for _ in 0..100 {
        if handler.calls() >= calls {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "the handler was called {} times, expected {calls}",
        handler.calls()
    );
}

#[tokio::test]
async fn a_transient_failure_is_retried_after_a_back_off_until_it_succeeds() {
    // Arrange
    let fixture = fixture(5).await;
    let handler = FlakyHandler::new(2, false);
    let (shutdown, task) = start(&fixture, handler.clone());

    // Act
    publish(&fixture, "retry-me").await;
    wait_for_calls(&handler, 3).await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Assert: two failures, one success, nothing parked.
    assert_eq!(handler.calls(), 3);
    let channel = fixture.amqp.channel().await.unwrap();
    let dead = format!("{}.dead", fixture.spec.queue);
    let parked = channel
        .basic_get(dead.as_str().into(), Default::default())
        .await
        .unwrap();
    assert!(parked.is_none());

    shutdown.cancel();
    task.await.unwrap();
    delete_queues(&fixture.amqp, &fixture.spec).await;
}

#[tokio::test]
async fn a_message_that_keeps_failing_is_parked_after_the_attempt_bound() {
    // Arrange
    let fixture = fixture(3).await;
    let handler = FlakyHandler::new(u32::MAX, false);
    let (shutdown, task) = start(&fixture, handler.clone());

    // Act
    publish(&fixture, "poison").await;
    let channel = fixture.amqp.channel().await.unwrap();
    let dead = format!("{}.dead", fixture.spec.queue);
    let parked = wait_for_message(&channel, &dead, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Assert: exactly the bound of attempts, then parked with its history.
    assert_eq!(handler.calls(), 3);
    assert_eq!(
        parked.properties.message_id().as_ref().unwrap().as_str(),
        "poison"
    );
    let headers = parked.properties.headers().as_ref().unwrap().inner();
    assert_eq!(
        headers.get("x-helium-attempt"),
        Some(&AMQPValue::LongUInt(3))
    );
    assert!(headers.contains_key("x-helium-error"));

    shutdown.cancel();
    task.await.unwrap();
    delete_queues(&fixture.amqp, &fixture.spec).await;
}

#[tokio::test]
async fn a_permanent_failure_is_parked_without_retrying() {
    let fixture = fixture(5).await;
    let handler = FlakyHandler::new(u32::MAX, true);
    let (shutdown, task) = start(&fixture, handler.clone());

    publish(&fixture, "undecodable").await;
    let channel = fixture.amqp.channel().await.unwrap();
    let dead = format!("{}.dead", fixture.spec.queue);
    wait_for_message(&channel, &dead, Duration::from_secs(10)).await;

    assert_eq!(handler.calls(), 1);
    shutdown.cancel();
    task.await.unwrap();
    delete_queues(&fixture.amqp, &fixture.spec).await;
}

#[tokio::test]
async fn a_consumer_that_dies_mid_message_leaves_it_for_redelivery() {
    // Arrange: a consumer on its own connection takes the message and never acknowledges it.
    let fixture = fixture(5).await;
    publish(&fixture, "in-flight").await;
    let doomed = lapin::Connection::connect(&mq_url(), Default::default())
        .await
        .unwrap();
    let doomed_channel = doomed.create_channel().await.unwrap();
    let mut deliveries = doomed_channel
        .basic_consume(
            fixture.spec.queue.as_str().into(),
            "doomed".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    let taken = tokio::time::timeout(Duration::from_secs(5), deliveries.next())
        .await
        .unwrap();
    assert!(taken.is_some());

    // Act: the consumer dies (its connection goes away) before acknowledging; a healthy
    // consumer starts.
    doomed.close(320, "killed".into()).await.unwrap();
    let handler = FlakyHandler::new(0, false);
    let (shutdown, task) = start(&fixture, handler.clone());

    // Assert: the healthy consumer processes the message exactly once.
    wait_for_calls(&handler, 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(handler.calls(), 1);

    shutdown.cancel();
    task.await.unwrap();
    delete_queues(&fixture.amqp, &fixture.spec).await;
}
