//! The lock-out: repeated failures lock an account's password sign-in for a while.

use std::time::Duration;

use helium_framework::config::Seconds;
use helium_framework::processor::Processor;
use helium_shield::config::{LockoutPolicy, ShieldConfig};
use helium_shield::services::{
    AdmitSignInRequest, FailedSignIn, RecordFailedSignInRequest, RecordSuccessfulSignInRequest,
};
use tokio::task::JoinSet;

use crate::support::{address, fixture, generous, refused};

fn with_lockout(failures: u32, window_secs: u64, lock_for_secs: u64) -> ShieldConfig {
    ShieldConfig {
        lockout: LockoutPolicy {
            failures,
            window: Seconds(window_secs),
            lock_for: Seconds(lock_for_secs),
        },
        ..generous()
    }
}

fn attempt(email: &str, from: &str) -> AdmitSignInRequest {
    AdmitSignInRequest {
        email: email.to_owned(),
        address: address(from),
    }
}

fn failure(email: &str) -> RecordFailedSignInRequest {
    RecordFailedSignInRequest {
        email: email.to_owned(),
    }
}

#[tokio::test]
async fn repeated_failures_lock_password_sign_in_until_the_lock_expires() {
    // Arrange
    let fixture = fixture(with_lockout(3, 60, 2)).await;
    let shield = &fixture.shield;
    let first = shield.process(failure("alice@example.com")).await.unwrap();
    let second = shield.process(failure("alice@example.com")).await.unwrap();
    let third = shield.process(failure("alice@example.com")).await.unwrap();

    // Act
    let while_locked = shield
        .process(attempt("alice@example.com", "192.0.2.1"))
        .await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let after_the_lock = shield
        .process(attempt("alice@example.com", "192.0.2.1"))
        .await;

    // Assert
    assert_eq!(first, FailedSignIn::Counted);
    assert_eq!(second, FailedSignIn::Counted);
    assert_eq!(
        third,
        FailedSignIn::LockedOut {
            retry_after_secs: 2
        }
    );
    let (message, retry_after_secs) = refused(while_locked);
    assert!((1..=2).contains(&retry_after_secs), "{retry_after_secs}");
    assert!(
        message.starts_with("Too many failed sign-in attempts; try again in"),
        "{message}"
    );
    assert!(after_the_lock.is_ok(), "{after_the_lock:?}");
    fixture.db.drop_database().await;
}

#[tokio::test]
async fn a_locked_account_is_refused_from_every_address_and_other_accounts_are_not() {
    // Arrange
    let fixture = fixture(with_lockout(2, 60, 60)).await;
    let shield = &fixture.shield;
    for _ in 0..2 {
        shield.process(failure("alice@example.com")).await.unwrap();
    }

    // Act
    let elsewhere = shield
        .process(attempt("alice@example.com", "203.0.113.50"))
        .await;
    let other_account = shield
        .process(attempt("bob@example.com", "203.0.113.50"))
        .await;

    // Assert
    let (_, retry_after_secs) = refused(elsewhere);
    assert!((59..=60).contains(&retry_after_secs), "{retry_after_secs}");
    assert!(other_account.is_ok(), "{other_account:?}");
    fixture.db.drop_database().await;
}

#[tokio::test]
async fn a_successful_sign_in_clears_earlier_failures() {
    // Arrange
    let fixture = fixture(with_lockout(3, 60, 60)).await;
    let shield = &fixture.shield;
    for _ in 0..2 {
        shield.process(failure("alice@example.com")).await.unwrap();
    }
    shield
        .process(RecordSuccessfulSignInRequest {
            email: "alice@example.com".to_owned(),
        })
        .await
        .unwrap();

    // Act
    let fourth = shield.process(failure("alice@example.com")).await.unwrap();
    let fifth = shield.process(failure("alice@example.com")).await.unwrap();

    // Assert
    assert_eq!(fourth, FailedSignIn::Counted);
    assert_eq!(fifth, FailedSignIn::Counted);
    let admitted = shield
        .process(attempt("alice@example.com", "192.0.2.1"))
        .await;
    assert!(admitted.is_ok(), "{admitted:?}");
    fixture.db.drop_database().await;
}

#[tokio::test]
async fn failures_older_than_the_window_are_forgotten() {
    // Arrange
    let fixture = fixture(with_lockout(2, 1, 60)).await;
    let shield = &fixture.shield;
    shield.process(failure("alice@example.com")).await.unwrap();

    // Act: Redis expiry is real time, so the test waits out the one-second window.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let second = shield.process(failure("alice@example.com")).await.unwrap();

    // Assert
    assert_eq!(second, FailedSignIn::Counted);
    fixture.db.drop_database().await;
}

// Several worker threads, so the attempts really run at the same time.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failures_racing_the_lock_neither_extend_it_nor_count_towards_the_next_one() {
    // Arrange
    let fixture = fixture(with_lockout(3, 60, 2)).await;

    // Act: twenty wrong passwords for one account, all checked at once.
    let mut failures = JoinSet::new();
    for _ in 0..20 {
        let shield = fixture.shield.clone();
        failures.spawn(async move { shield.process(failure("alice@example.com")).await });
    }
    let outcomes: Vec<FailedSignIn> = failures
        .join_all()
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();

    // Assert: two counted, the third locked, and the rest found the lock as it was.
    let counted = outcomes
        .iter()
        .filter(|outcome| **outcome == FailedSignIn::Counted)
        .count();
    assert_eq!(counted, 2);
    for outcome in &outcomes {
        if let FailedSignIn::LockedOut { retry_after_secs } = outcome {
            assert!((1..=2).contains(retry_after_secs), "{retry_after_secs}");
        }
    }

    // Once the lock ends, the account starts from zero failures.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let next = fixture
        .shield
        .process(failure("alice@example.com"))
        .await
        .unwrap();
    assert_eq!(next, FailedSignIn::Counted);
    fixture.db.drop_database().await;
}
