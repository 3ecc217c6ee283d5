//! Registration and reset emails: per-address and per-recipient limits.

use helium_framework::processor::Processor;
use helium_shield::services::AdmitEmailRequest;
use tokio::task::JoinSet;

use crate::support::{address, fixture, generous, limit, refused};

fn request(from: &str, recipient: &str) -> AdmitEmailRequest {
    AdmitEmailRequest {
        address: address(from),
        recipient: recipient.to_owned(),
    }
}

#[tokio::test]
async fn emails_to_one_recipient_are_capped_whatever_the_source_address() {
    // Arrange
    let mut config = generous();
    config.email_per_recipient = limit(3, 3600);
    let fixture = fixture(config).await;
    for from in ["192.0.2.1", "192.0.2.2", "192.0.2.3"] {
        fixture
            .shield
            .process(request(from, "carol@example.com"))
            .await
            .unwrap();
    }

    // Act
    let result = fixture
        .shield
        .process(request("192.0.2.4", "Carol@Example.com"))
        .await;

    // Assert
    let (message, retry_after_secs) = refused(result);
    assert!(
        (3599..=3600).contains(&retry_after_secs),
        "{retry_after_secs}"
    );
    assert_eq!(
        message,
        format!("Too many emails requested; try again in {retry_after_secs} seconds")
    );
    fixture.db.drop_database().await;
}

#[tokio::test]
async fn one_address_cannot_request_emails_for_more_recipients_than_its_limit() {
    // Arrange
    let mut config = generous();
    config.email_per_address = limit(2, 3600);
    let fixture = fixture(config).await;
    for recipient in ["a@example.com", "b@example.com"] {
        fixture
            .shield
            .process(request("198.51.100.20", recipient))
            .await
            .unwrap();
    }

    // Act
    let same_address = fixture
        .shield
        .process(request("198.51.100.20", "c@example.com"))
        .await;
    let other_address = fixture
        .shield
        .process(request("198.51.100.21", "c@example.com"))
        .await;

    // Assert
    refused(same_address);
    assert!(other_address.is_ok(), "{other_address:?}");
    fixture.db.drop_database().await;
}

// Several worker threads, so the attempts really run at the same time.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_for_one_recipient_let_exactly_the_limit_through() {
    // Arrange
    let mut config = generous();
    config.email_per_recipient = limit(3, 3600);
    let fixture = fixture(config).await;

    // Act: thirty requests from thirty addresses, all at once.
    let mut requests = JoinSet::new();
    for host in 1..=30 {
        let shield = fixture.shield.clone();
        requests.spawn(async move {
            shield
                .process(request(&format!("192.0.2.{host}"), "carol@example.com"))
                .await
        });
    }
    let results = requests.join_all().await;

    // Assert
    let admitted = results.iter().filter(|result| result.is_ok()).count();
    assert_eq!(admitted, 3);
    fixture.db.drop_database().await;
}
