//! Queueing emails through the outbox, and the whole trip from a committed transaction to a
//! (local) SMTP server.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use helium_framework::amqp::{AmqpConnection, Consumer, QueueSpec, declare_queue};
use helium_framework::config::{ConfigStore, ModuleConfig};
use helium_framework::outbox::OutboxRelay;
use helium_framework::redis::RedisConnection;
use helium_framework::testing::smtp::FakeSmtpServer;
use helium_framework::testing::{TestDatabase, mq_url, redis_url, unique_name};
use helium_mailer::config::MailerConfig;
use helium_mailer::events::{SEND_EMAIL, SendEmail};
use helium_mailer::queue::{EnqueueError, enqueue_email};
use helium_mailer::services::MailDelivery;
use helium_mailer::templates::{Branding, EmailTemplate, OneTimeLink, RenderedEmail};
use lapin::options::QueueDeleteOptions;
use prost::Message as _;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

const RECIPIENT: &str = "customer@example.com";

fn password_reset() -> RenderedEmail {
    EmailTemplate::PasswordReset {
        link: OneTimeLink::parse("https://vpn.example.com/reset?token=t0k3n").unwrap(),
        expires_in_minutes: 30,
    }
    .render(&Branding {
        product_name: "Example VPN".to_owned(),
        support_email: None,
    })
    .unwrap()
}

/// The outbox row `id`: routing key, type name and payload.
async fn outbox_row(db: &TestDatabase, id: Uuid) -> Option<(String, String, Vec<u8>)> {
    sqlx::query_as("SELECT routing_key, type_name, payload FROM public.outbox_event WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await
        .unwrap()
}

async fn outbox_size(db: &TestDatabase) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM public.outbox_event")
        .fetch_one(&db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_committed_email_is_a_send_email_job_in_the_outbox() {
    // Arrange
    let db = TestDatabase::create().await;
    let email = password_reset();

    // Act
    let mut transaction = db.pool.begin().await.unwrap();
    let id = enqueue_email(&mut transaction, RECIPIENT, &email)
        .await
        .unwrap();
    transaction.commit().await.unwrap();

    // Assert
    let (routing_key, type_name, payload) = outbox_row(&db, id).await.unwrap();
    assert_eq!(routing_key, SEND_EMAIL);
    assert_eq!(type_name, "helium.mailer.v1.SendEmail");
    let job = SendEmail::decode(payload.as_slice()).unwrap();
    assert_eq!(job.to, RECIPIENT);
    assert_eq!(job.subject, email.subject);
    assert_eq!(job.text_body, email.text_body);
    assert_eq!(job.html_body, Some(email.html_body));
    db.drop_database().await;
}

#[tokio::test]
async fn a_rolled_back_transaction_leaves_no_email_behind() {
    // Arrange
    let db = TestDatabase::create().await;

    // Act
    let mut transaction = db.pool.begin().await.unwrap();
    let id = enqueue_email(&mut transaction, RECIPIENT, &password_reset())
        .await
        .unwrap();
    transaction.rollback().await.unwrap();

    // Assert
    assert_eq!(outbox_row(&db, id).await, None);
    assert_eq!(outbox_size(&db).await, 0);
    db.drop_database().await;
}

#[tokio::test]
async fn an_invalid_recipient_is_refused_and_nothing_is_written() {
    // Arrange
    let db = TestDatabase::create().await;
    let mut connection = db.pool.acquire().await.unwrap();

    for recipient in [
        "",
        "customer",
        "customer@",
        "a@b@example.com",
        "x\r\nBcc: y@z.com",
    ] {
        // Act
        let result = enqueue_email(&mut connection, recipient, &password_reset()).await;

        // Assert
        assert!(
            matches!(result, Err(EnqueueError::InvalidRecipient)),
            "{recipient:?}: {result:?}"
        );
    }
    assert_eq!(outbox_size(&db).await, 0);
    drop(connection);
    db.drop_database().await;
}

#[tokio::test]
async fn a_queued_email_is_relayed_consumed_and_delivered_over_smtp() {
    // Arrange: a mailer worker on a queue of its own, sending to a local SMTP server.
    let db = TestDatabase::create().await;
    let smtp = FakeSmtpServer::start().await;
    let redis = RedisConnection::with_prefix(&redis_url(), &unique_name("test")).unwrap();
    let configs = ConfigStore::new(db.pool.clone(), redis.clone());
    let config = MailerConfig {
        host: "127.0.0.1".to_owned(),
        port: smtp.port(),
        starttls: false,
        sender: "noreply@helium.test".to_owned(),
        ..MailerConfig::defaults()
    };
    configs.save(&config).await.unwrap();
    let amqp = AmqpConnection::new(&mq_url()).unwrap();
    // Every queue bound to `mailer.email.send` gets a copy of what is published with it,
    // including `mailer.send`, which a developer's own mailer may be reading. So the job is
    // re-pointed at a routing key only this test listens to before the relay sees it.
    let routing_key = unique_name("test.mailer.email.send");
    let spec = QueueSpec::new(unique_name("test-mailer"), &[routing_key.as_str()]);
    // Declared up front: a job published before the queue is bound would be dropped.
    declare_queue(&amqp.channel().await.unwrap(), &spec)
        .await
        .unwrap();
    let consumer = Consumer::new(
        amqp.clone(),
        spec.clone(),
        MailDelivery::new(configs, redis),
    );
    let mut relay = OutboxRelay::new(db.pool.clone(), amqp.clone());
    relay.idle_wait = Duration::from_millis(50);
    let shutdown = CancellationToken::new();
    let consuming = tokio::spawn({
        let shutdown = shutdown.clone();
        async move { consumer.run(shutdown).await }
    });

    // Act
    let mut transaction = db.pool.begin().await.unwrap();
    let id = enqueue_email(&mut transaction, RECIPIENT, &password_reset())
        .await
        .unwrap();
    sqlx::query("UPDATE public.outbox_event SET routing_key = $1 WHERE id = $2")
        .bind(&routing_key)
        .bind(id)
        .execute(&mut *transaction)
        .await
        .unwrap();
    transaction.commit().await.unwrap();
    let relaying = tokio::spawn({
        let shutdown = shutdown.clone();
        async move { relay.run(shutdown).await }
    });

    // Assert
    let received = wait_for_mail(&smtp, Duration::from_secs(20)).await;
    assert_eq!(received.to, vec![format!("<{RECIPIENT}>")]);
    assert!(
        received
            .data
            .contains("Subject: Reset your Example VPN password")
    );
    assert!(
        received
            .data
            .contains("Content-Type: multipart/alternative")
    );

    shutdown.cancel();
    relaying.await.unwrap();
    consuming.await.unwrap();
    delete_queues(&amqp, &spec).await;
    db.drop_database().await;
}

async fn wait_for_mail(
    smtp: &FakeSmtpServer,
    within: Duration,
) -> helium_framework::testing::smtp::ReceivedMail {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Some(mail) = smtp.received().into_iter().next() {
            return mail;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no email reached the SMTP server within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Removes the consumer's three durable queues, which would otherwise outlive the test.
async fn delete_queues(amqp: &AmqpConnection, spec: &QueueSpec) {
    let channel = amqp.channel().await.unwrap();
    for queue in [
        spec.queue.clone(),
        format!("{}.retry", spec.queue),
        format!("{}.dead", spec.queue),
    ] {
        channel
            .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
            .await
            .unwrap();
    }
}
