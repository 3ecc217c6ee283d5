//! The auth module's scheduled jobs, run once each against data aged by hand.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use helium_auth::cron::{ENDED_SESSION_RETENTION_DAYS, PurgeEmailLinks, PurgeSessions};
use helium_auth::rpc::pb::*;
use helium_framework::cron::CronJob;
use helium_framework::processor::DatabaseProcessor;
use uuid::Uuid;

use common::*;

const PASSWORD: &str = "long enough pw";

/// Ends a session `days` days ago by revocation ($1: the session, $2: the days).
const REVOKED_DAYS_AGO: &str =
    "UPDATE auth.session SET revoked_at = now() - make_interval(days => $2) WHERE id = $1";

/// Ends a session `days` days ago by expiry.
const EXPIRED_DAYS_AGO: &str =
    "UPDATE auth.session SET expires_at = now() - make_interval(days => $2) WHERE id = $1";

/// Runs `statement`, one of the two above, for `session_id` and `days`.
async fn age_session(harness: &Harness, statement: &'static str, session_id: &str, days: i64) {
    sqlx::query(statement)
        .bind(Uuid::parse_str(session_id).unwrap())
        .bind(i32::try_from(days).unwrap())
        .execute(&harness.db.pool)
        .await
        .unwrap();
}

async fn remaining_sessions(harness: &Harness) -> Vec<Uuid> {
    sqlx::query_scalar("SELECT id FROM auth.session ORDER BY id")
        .fetch_all(&harness.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn links_older_than_the_purge_age_are_deleted_and_fresh_ones_still_work() {
    // Arrange: a used registration link made long ago, and a fresh unused one.
    let mut harness = harness().await;
    harness.register("old@example.com", PASSWORD).await;
    sqlx::query(
        "UPDATE auth.email_link SET created_at = now() - interval '30 days' \
         WHERE email = 'old@example.com'",
    )
    .execute(&harness.db.pool)
    .await
    .unwrap();
    harness
        .auth
        .request_registration(registration("new@example.com"))
        .await
        .unwrap();
    let fresh_token = harness.emailed_token("new@example.com").await;

    // Act
    let job = PurgeEmailLinks {
        db: DatabaseProcessor::from_pool(harness.db.pool.clone()),
        configs: harness.configs.clone(),
    };
    job.run().await.unwrap();

    // Assert
    let emails: Vec<String> = sqlx::query_scalar("SELECT email FROM auth.email_link")
        .fetch_all(&harness.db.pool)
        .await
        .unwrap();
    assert_eq!(emails, vec!["new@example.com".to_owned()]);
    harness
        .auth
        .complete_registration(completion(&fresh_token, PASSWORD))
        .await
        .unwrap();
}

#[tokio::test]
async fn sessions_are_deleted_a_month_after_they_end_and_not_before() {
    // Arrange: four sessions of one account.
    let mut harness = harness().await;
    let registered = harness.register("sessions@example.com", PASSWORD).await;
    let live = registered.session.unwrap();
    let long_revoked = harness
        .sign_in("sessions@example.com", PASSWORD)
        .await
        .unwrap();
    let long_expired = harness
        .sign_in("sessions@example.com", PASSWORD)
        .await
        .unwrap();
    let just_revoked = harness
        .sign_in("sessions@example.com", PASSWORD)
        .await
        .unwrap();
    for revoked in [&long_revoked, &just_revoked] {
        let message = RevokeSessionRequest {
            session_id: revoked.session_id.clone(),
        };
        let request = authorized(message, &live.access_token);
        harness.account.revoke_session(request).await.unwrap();
    }
    let past_retention = ENDED_SESSION_RETENTION_DAYS + 1;
    age_session(
        &harness,
        REVOKED_DAYS_AGO,
        &long_revoked.session_id,
        past_retention,
    )
    .await;
    age_session(
        &harness,
        EXPIRED_DAYS_AGO,
        &long_expired.session_id,
        past_retention,
    )
    .await;
    let within_retention = ENDED_SESSION_RETENTION_DAYS - 1;
    age_session(
        &harness,
        REVOKED_DAYS_AGO,
        &just_revoked.session_id,
        within_retention,
    )
    .await;

    // Act
    let job = PurgeSessions {
        db: DatabaseProcessor::from_pool(harness.db.pool.clone()),
    };
    job.run().await.unwrap();

    // Assert: the live session and the recently revoked one remain, and the live one works.
    let mut expected: Vec<Uuid> = [&live, &just_revoked]
        .iter()
        .map(|session| Uuid::parse_str(&session.session_id).unwrap())
        .collect();
    expected.sort();
    assert_eq!(remaining_sessions(&harness).await, expected);
    harness.profile(&live.access_token).await.unwrap();
}
