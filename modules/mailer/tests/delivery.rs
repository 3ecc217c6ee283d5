//! Delivery of queued emails to a real (local) SMTP server.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use helium_framework::amqp::{HandlerError, IncomingMessage};
use helium_framework::config::{ConfigStore, ModuleConfig};
use helium_framework::processor::Processor;
use helium_framework::redis::RedisConnection;
use helium_framework::testing::smtp::{FakeSmtpServer, SmtpTls, TEST_CA_PEM};
use helium_framework::testing::{TestDatabase, redis_url, unique_name};
use helium_mailer::config::{IMPLICIT_TLS_PORT, MailerConfig};
use helium_mailer::events::SendEmail;
use helium_mailer::services::MailDelivery;
use prost::Message as _;

struct Fixture {
    db: TestDatabase,
    smtp: FakeSmtpServer,
    delivery: MailDelivery,
}

async fn fixture() -> Fixture {
    let smtp = FakeSmtpServer::start().await;
    let config = MailerConfig {
        host: "127.0.0.1".to_owned(),
        port: smtp.port(),
        starttls: false,
        sender: "noreply@helium.test".to_owned(),
        ..MailerConfig::defaults()
    };
    fixture_for(smtp, config).await
}

/// A delivery to `smtp` with `config`.
async fn fixture_for(smtp: FakeSmtpServer, config: MailerConfig) -> Fixture {
    let db = TestDatabase::create().await;
    let redis = RedisConnection::with_prefix(&redis_url(), &unique_name("test")).unwrap();
    let configs = ConfigStore::new(db.pool.clone(), redis.clone());
    configs.save(&config).await.unwrap();
    let delivery = MailDelivery::new(configs, redis);
    Fixture { db, smtp, delivery }
}

/// A configuration that logs in to `smtp` at `host` over TLS (STARTTLS unless `port` is 465),
/// trusting the test CA as a company's private CA when `trust_test_ca` is set.
fn tls_config(smtp: &FakeSmtpServer, host: &str, trust_test_ca: bool) -> MailerConfig {
    let ca_certificate = trust_test_ca.then(|| String::from_utf8(TEST_CA_PEM.to_vec()).unwrap());
    MailerConfig {
        host: host.to_owned(),
        port: smtp.port(),
        username: "mailer@helium.test".to_owned(),
        password: "smtp-password".into(),
        sender: "noreply@helium.test".to_owned(),
        starttls: smtp.port() != IMPLICIT_TLS_PORT,
        ca_certificate,
    }
}

fn job(message_id: &str, html: Option<&str>) -> IncomingMessage {
    let email = SendEmail {
        to: "customer@example.com".to_owned(),
        subject: "Finish creating your account".to_owned(),
        text_body: "Open the link to set your password.".to_owned(),
        html_body: html.map(str::to_owned),
    };
    IncomingMessage {
        routing_key: "mailer.email.send".to_owned(),
        message_id: Some(message_id.to_owned()),
        type_name: Some("helium.mailer.v1.SendEmail".to_owned()),
        payload: email.encode_to_vec(),
        previous_failures: 0,
    }
}

#[tokio::test]
async fn a_queued_email_reaches_the_smtp_server_with_its_headers_and_parts() {
    let fixture = fixture().await;

    fixture
        .delivery
        .process(job("mail-1", Some("<p>Open the link</p>")))
        .await
        .unwrap();

    let received = fixture.smtp.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].from, "<noreply@helium.test>");
    assert_eq!(received[0].to, vec!["<customer@example.com>".to_owned()]);
    assert!(
        received[0]
            .data
            .contains("Subject: Finish creating your account")
    );
    assert!(
        received[0]
            .data
            .contains("Content-Type: multipart/alternative")
    );
    assert!(received[0].data.contains("<p>Open the link</p>"));
    fixture.db.drop_database().await;
}

#[tokio::test]
async fn a_redelivered_job_is_not_sent_twice() {
    let fixture = fixture().await;

    fixture.delivery.process(job("mail-2", None)).await.unwrap();
    fixture.delivery.process(job("mail-2", None)).await.unwrap();

    assert_eq!(fixture.smtp.received().len(), 1);
    fixture.db.drop_database().await;
}

#[tokio::test]
async fn a_refused_recipient_is_a_permanent_failure() {
    let fixture = fixture().await;
    fixture.smtp.refuse_recipients("no such mailbox");

    let error = fixture
        .delivery
        .process(job("mail-3", None))
        .await
        .unwrap_err();

    assert!(matches!(error, HandlerError::Permanent(_)), "{error}");
    fixture.db.drop_database().await;
}

#[tokio::test]
async fn an_unreachable_smtp_server_is_a_transient_failure() {
    let fixture = fixture().await;
    let configs = ConfigStore::new(
        fixture.db.pool.clone(),
        RedisConnection::with_prefix(&redis_url(), &unique_name("test")).unwrap(),
    );
    // Port 9 (discard) is closed on test machines: the connection is refused.
    let unreachable = MailerConfig {
        host: "127.0.0.1".to_owned(),
        port: 9,
        starttls: false,
        ..MailerConfig::defaults()
    };
    configs.save(&unreachable).await.unwrap();
    let delivery = MailDelivery::new(configs, RedisConnection::new(&redis_url()).unwrap());

    let error = delivery
        .process(job(&unique_name("mail"), None))
        .await
        .unwrap_err();

    assert!(matches!(error, HandlerError::Transient(_)), "{error}");
    fixture.db.drop_database().await;
}

#[tokio::test]
async fn an_undecodable_job_is_a_permanent_failure() {
    let fixture = fixture().await;
    let mut garbage = job("mail-4", None);
    garbage.payload = vec![0xff, 0xff, 0xff];

    let error = fixture.delivery.process(garbage).await.unwrap_err();

    assert!(matches!(error, HandlerError::Permanent(_)));
    assert!(fixture.smtp.received().is_empty());
    fixture.db.drop_database().await;
}

/// Delivers one job to `smtp` at `host`, trusting the test CA, and checks that the message
/// and the login arrived encrypted.
async fn assert_delivered_encrypted(smtp: FakeSmtpServer, host: &str) {
    let config = tls_config(&smtp, host, true);
    let fixture = fixture_for(smtp, config).await;

    fixture
        .delivery
        .process(job(&unique_name("mail"), None))
        .await
        .unwrap();

    let received = fixture.smtp.received();
    assert_eq!(received.len(), 1);
    assert!(received[0].encrypted);
    assert_eq!(received[0].username.as_deref(), Some("mailer@helium.test"));
    assert!(
        received[0]
            .data
            .contains("Open the link to set your password.")
    );
    fixture.db.drop_database().await;
}

#[tokio::test]
async fn with_starttls_the_message_and_the_login_travel_encrypted() {
    let smtp = FakeSmtpServer::start_with(SmtpTls::StartTls).await;
    assert_delivered_encrypted(smtp, "localhost").await;
}

#[tokio::test]
async fn on_port_465_the_connection_is_tls_from_the_first_byte() {
    // Implicit TLS is chosen by the port number (`tls_config` turns STARTTLS off for 465), so
    // this server must listen on 465 itself.
    let smtp = FakeSmtpServer::start_at(SmtpTls::Implicit, IMPLICIT_TLS_PORT).await;
    assert_delivered_encrypted(smtp, "127.0.0.1").await;
}

/// Delivers one job over STARTTLS to a server protected as `tls` says, and checks that it
/// fails as a transient error with nothing received.
async fn assert_starttls_delivery_refused(tls: SmtpTls, trust_test_ca: bool) {
    let smtp = FakeSmtpServer::start_with(tls).await;
    let config = tls_config(&smtp, "localhost", trust_test_ca);
    let fixture = fixture_for(smtp, config).await;

    let error = fixture
        .delivery
        .process(job(&unique_name("mail"), None))
        .await
        .unwrap_err();

    assert!(matches!(error, HandlerError::Transient(_)), "{error}");
    assert!(fixture.smtp.received().is_empty());
    fixture.db.drop_database().await;
}

#[tokio::test]
async fn a_server_that_does_not_offer_starttls_gets_nothing_in_the_clear() {
    assert_starttls_delivery_refused(SmtpTls::None, true).await;
}

#[tokio::test]
async fn a_certificate_from_an_untrusted_authority_is_refused() {
    assert_starttls_delivery_refused(SmtpTls::StartTls, false).await;
}
