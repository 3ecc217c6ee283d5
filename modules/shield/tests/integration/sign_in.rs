//! Sign-in attempts: per-account and per-address limits, and how they race.

use std::time::Duration;

use helium_framework::processor::Processor;
use helium_shield::services::AdmitSignInRequest;
use tokio::task::JoinSet;

use crate::support::{address, fixture, generous, limit, refused};

fn attempt(email: &str, from: &str) -> AdmitSignInRequest {
    AdmitSignInRequest {
        email: email.to_owned(),
        address: address(from),
    }
}

#[tokio::test]
async fn attempts_beyond_the_account_limit_are_refused_with_the_time_left_in_the_window() {
    // Arrange
    let mut config = generous();
    config.sign_in_per_account = limit(3, 60);
    let fixture = fixture(config).await;
    for from in ["192.0.2.1", "192.0.2.2", "192.0.2.3"] {
        fixture
            .shield
            .process(attempt("alice@example.com", from))
            .await
            .unwrap();
    }

    // Act
    let result = fixture
        .shield
        .process(attempt("alice@example.com", "192.0.2.4"))
        .await;

    // Assert
    let (message, retry_after_secs) = refused(result);
    assert!((59..=60).contains(&retry_after_secs), "{retry_after_secs}");
    assert_eq!(
        message,
        format!("Too many sign-in attempts; try again in {retry_after_secs} seconds")
    );
    fixture.db.drop_database().await;
}

// Several worker threads, so the attempts really run at the same time.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_attempts_against_a_limit_of_ten_let_exactly_ten_through() {
    // Arrange
    let mut config = generous();
    config.sign_in_per_account = limit(10, 60);
    let fixture = fixture(config).await;

    // Act
    let mut attempts = JoinSet::new();
    for _ in 0..50 {
        let shield = fixture.shield.clone();
        attempts.spawn(async move {
            shield
                .process(attempt("alice@example.com", "192.0.2.1"))
                .await
        });
    }
    let results = attempts.join_all().await;

    // Assert
    let (admitted, refusals): (Vec<_>, Vec<_>) = results.into_iter().partition(Result::is_ok);
    assert_eq!(admitted.len(), 10);
    assert_eq!(refusals.len(), 40);
    for refusal in refusals {
        refused(refusal);
    }
    fixture.db.drop_database().await;
}

#[tokio::test]
async fn an_address_at_its_limit_is_refused_for_new_accounts_while_other_addresses_are_not() {
    // Arrange
    let mut config = generous();
    config.sign_in_per_address = limit(3, 60);
    let fixture = fixture(config).await;
    for email in ["a@example.com", "b@example.com", "c@example.com"] {
        fixture
            .shield
            .process(attempt(email, "198.51.100.7"))
            .await
            .unwrap();
    }

    // Act
    let same_address = fixture
        .shield
        .process(attempt("d@example.com", "198.51.100.7"))
        .await;
    let other_address = fixture
        .shield
        .process(attempt("d@example.com", "198.51.100.8"))
        .await;

    // Assert
    let (message, _) = refused(same_address);
    assert!(
        message.starts_with("Too many sign-in attempts"),
        "{message}"
    );
    assert!(other_address.is_ok(), "{other_address:?}");
    fixture.db.drop_database().await;
}

#[tokio::test]
async fn an_account_at_its_limit_is_refused_everywhere_while_other_accounts_are_not() {
    // Arrange
    let mut config = generous();
    config.sign_in_per_account = limit(2, 60);
    let fixture = fixture(config).await;
    for _ in 0..2 {
        fixture
            .shield
            .process(attempt("alice@example.com", "192.0.2.1"))
            .await
            .unwrap();
    }

    // Act
    let same_address = fixture
        .shield
        .process(attempt("alice@example.com", "192.0.2.1"))
        .await;
    let other_address = fixture
        .shield
        .process(attempt("alice@example.com", "203.0.113.9"))
        .await;
    let other_account = fixture
        .shield
        .process(attempt("bob@example.com", "192.0.2.1"))
        .await;

    // Assert
    refused(same_address);
    refused(other_address);
    assert!(other_account.is_ok(), "{other_account:?}");
    fixture.db.drop_database().await;
}

#[tokio::test]
async fn attempts_refused_at_the_address_limit_do_not_spend_the_accounts_allowance() {
    // Arrange: both limits at two; an attacker's address is full after two attempts.
    let mut config = generous();
    config.sign_in_per_account = limit(2, 60);
    config.sign_in_per_address = limit(2, 60);
    let fixture = fixture(config).await;
    let shield = &fixture.shield;
    shield
        .process(attempt("victim@example.com", "192.0.2.66"))
        .await
        .unwrap();
    shield
        .process(attempt("other@example.com", "192.0.2.66"))
        .await
        .unwrap();
    refused(
        shield
            .process(attempt("victim@example.com", "192.0.2.66"))
            .await,
    );

    // Act: the owner signs in from home.
    let owner = shield
        .process(attempt("victim@example.com", "203.0.113.1"))
        .await;

    // Assert: the refused attempt was not counted against the account.
    assert!(owner.is_ok(), "{owner:?}");
    fixture.db.drop_database().await;
}

#[tokio::test]
async fn letter_case_and_spaces_do_not_escape_the_account_limit() {
    // Arrange
    let mut config = generous();
    config.sign_in_per_account = limit(1, 60);
    let fixture = fixture(config).await;
    fixture
        .shield
        .process(attempt("alice@example.com", "192.0.2.1"))
        .await
        .unwrap();

    // Act
    let result = fixture
        .shield
        .process(attempt("  ALICE@Example.COM ", "192.0.2.1"))
        .await;

    // Assert
    refused(result);
    fixture.db.drop_database().await;
}

#[tokio::test]
async fn ipv6_addresses_in_one_64_network_share_the_address_limit() {
    // Arrange
    let mut config = generous();
    config.sign_in_per_address = limit(1, 60);
    let fixture = fixture(config).await;
    fixture
        .shield
        .process(attempt("a@example.com", "2001:db8:5:6::1"))
        .await
        .unwrap();

    // Act
    let same_network = fixture
        .shield
        .process(attempt("b@example.com", "2001:db8:5:6:ffff::2"))
        .await;
    let next_network = fixture
        .shield
        .process(attempt("b@example.com", "2001:db8:5:7::1"))
        .await;

    // Assert
    refused(same_network);
    assert!(next_network.is_ok(), "{next_network:?}");
    fixture.db.drop_database().await;
}

#[tokio::test]
async fn the_account_limit_lifts_when_its_window_closes() {
    // Arrange
    let mut config = generous();
    config.sign_in_per_account = limit(1, 1);
    let fixture = fixture(config).await;
    fixture
        .shield
        .process(attempt("alice@example.com", "192.0.2.1"))
        .await
        .unwrap();
    let (message, retry_after_secs) = refused(
        fixture
            .shield
            .process(attempt("alice@example.com", "192.0.2.1"))
            .await,
    );
    assert_eq!(retry_after_secs, 1);
    assert_eq!(message, "Too many sign-in attempts; try again in 1 second");

    // Act: Redis expiry is real time, so the test waits out the one-second window.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let result = fixture
        .shield
        .process(attempt("alice@example.com", "192.0.2.1"))
        .await;

    // Assert
    assert!(result.is_ok(), "{result:?}");
    fixture.db.drop_database().await;
}
