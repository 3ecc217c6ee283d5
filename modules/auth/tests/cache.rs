//! Two workers over one database, each with its own memory of sessions and profiles: what
//! one changes, the other stops serving from memory as soon as PostgreSQL's notification
//! arrives, and a worker whose listener is down serves nothing from memory.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use helium_auth::cache::AuthCache;
use helium_auth::rpc::pb::account_service_client::AccountServiceClient;
use helium_auth::rpc::pb::*;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::Code;
use tonic::transport::{Channel, Server};

use common::*;

const PASSWORD: &str = "long enough pw";

/// How long a notification may take to reach the other worker on this machine.
const NOTIFICATION_BOUND: Duration = Duration::from_secs(3);

/// Another worker's account API over the harness's database and Redis, with its own cache.
async fn second_worker(harness: &Harness, cache: AuthCache) -> AccountServiceClient<Channel> {
    let (_, account) = helium_auth::rpc::services(
        harness.db.pool.clone(),
        harness.redis.clone(),
        harness.configs.clone(),
        cache,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(
        Server::builder()
            .add_service(account)
            .serve_with_incoming(TcpListenerStream::new(listener)),
    );
    let channel = Channel::from_shared(format!("http://{address}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    AccountServiceClient::new(channel)
}

async fn profile_on(
    worker: &mut AccountServiceClient<Channel>,
    access_token: &str,
) -> Result<GetProfileResponse, tonic::Status> {
    let request = authorized(GetProfileRequest {}, access_token);
    Ok(worker.get_profile(request).await?.into_inner())
}

/// Polls `worker` until the profile read fails, and returns the failure.
async fn refused_within_bound(
    worker: &mut AccountServiceClient<Channel>,
    access_token: &str,
) -> tonic::Status {
    let started = Instant::now();
    loop {
        match profile_on(worker, access_token).await {
            Err(status) => return status,
            Ok(_) if started.elapsed() > NOTIFICATION_BOUND => {
                panic!("the other worker still serves a revoked session")
            }
            Ok(_) => tokio::time::sleep(Duration::from_millis(5)).await,
        }
    }
}

#[tokio::test]
async fn a_session_revoked_on_one_worker_is_refused_by_another_that_remembered_it() {
    // Arrange: the other worker has served the session, so it remembers it.
    let mut harness = harness().await;
    let session = harness
        .register("mia@example.com", PASSWORD)
        .await
        .session
        .unwrap();
    let other_cache = listening_cache(&harness.db.pool).await;
    let mut other = second_worker(&harness, other_cache).await;
    assert!(profile_on(&mut other, &session.access_token).await.is_ok());
    assert!(profile_on(&mut other, &session.access_token).await.is_ok());

    // Act
    let sign_out = authorized(SignOutRequest {}, &session.access_token);
    harness.account.sign_out(sign_out).await.unwrap();

    // Assert: refused at once where it was revoked, and soon after on the other worker.
    let here = harness.profile(&session.access_token).await.unwrap_err();
    assert_eq!(here.code(), Code::Unauthenticated);
    let there = refused_within_bound(&mut other, &session.access_token).await;
    assert_eq!(there.code(), Code::Unauthenticated);
    harness.db.drop_database().await;
}

#[tokio::test]
async fn a_profile_changed_on_one_worker_is_read_fresh_by_another() {
    // Arrange: the other worker remembers the profile with MFA off.
    let mut harness = harness().await;
    let email = "noor@example.com";
    let access_token = harness
        .register(email, PASSWORD)
        .await
        .session
        .unwrap()
        .access_token;
    let other_cache = listening_cache(&harness.db.pool).await;
    let mut other = second_worker(&harness, other_cache).await;
    let before = profile_on(&mut other, &access_token).await.unwrap();
    assert!(!before.mfa_enabled);

    // Act: an outside change, straight in the database, as another worker's write would be.
    sqlx::query(
        "INSERT INTO auth.user_mfa (user_id, secret, enabled_at)
         SELECT id, 'JBSWY3DPEHPK3PXP', now() FROM auth.user_account WHERE email = $1",
    )
    .bind(email)
    .execute(&harness.db.pool)
    .await
    .unwrap();

    // Assert
    let started = Instant::now();
    while !profile_on(&mut other, &access_token)
        .await
        .unwrap()
        .mfa_enabled
    {
        assert!(
            started.elapsed() < NOTIFICATION_BOUND,
            "stale profile served"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    harness.db.drop_database().await;
}

#[tokio::test]
async fn a_worker_without_its_listener_reads_every_time() {
    // Arrange: a worker whose cache never connected.
    let mut harness = harness().await;
    let access_token = harness
        .register("omar@example.com", PASSWORD)
        .await
        .session
        .unwrap()
        .access_token;
    let deaf_cache = AuthCache::new();
    let mut deaf = second_worker(&harness, deaf_cache.clone()).await;
    assert!(profile_on(&mut deaf, &access_token).await.is_ok());

    // Act: revoke the session behind every cache's back, in the database and Redis alike.
    sqlx::query("UPDATE auth.session SET revoked_at = now()")
        .execute(&harness.db.pool)
        .await
        .unwrap();
    let mut redis = harness.redis.get().await.unwrap();
    let pattern = harness.redis.key("auth", "session", "*");
    let keys: Vec<String> = redis::AsyncCommands::keys(&mut redis, pattern)
        .await
        .unwrap();
    let () = redis::AsyncCommands::del(&mut redis, keys).await.unwrap();

    // Assert: nothing was remembered, so the revocation shows on the next call.
    assert!(!deaf_cache.is_listening());
    let refused = profile_on(&mut deaf, &access_token).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);
    harness.db.drop_database().await;
}
