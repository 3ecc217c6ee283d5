//! The customer account flows end to end through the gRPC API, against the real PostgreSQL
//! and Redis. Emails are read from the transactional outbox, where the services queue them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use helium_auth::config::AuthConfig;
use helium_auth::entities::redis::session::SessionMarkers;
use helium_auth::rpc::pb::*;
use helium_auth::services::session::{MAX_ACTIVE_SESSIONS, SessionService, StartSession};
use helium_framework::config::{ModuleConfig, Seconds};
use helium_framework::processor::{DatabaseProcessor, Processor};
use helium_framework::redis::RedisConnection;
use helium_framework::testing::{redis_url, unique_name};
use helium_framework::tokens::JwtCodec;
use helium_mailer::events::SendEmail;
use tonic::Code;
use uuid::Uuid;

use common::*;

#[tokio::test]
async fn registration_by_email_link_creates_the_account_and_signs_in() {
    // Arrange
    let mut harness = harness().await;
    let request = RequestRegistrationRequest {
        email: "Ann@Example.com".into(),
        referral_code: Some("FRIEND42".into()),
    };

    // Act
    harness.auth.request_registration(request).await.unwrap();
    let emails = harness.emails().await;
    let token = harness.emailed_token("Ann@Example.com").await;
    let completed = harness
        .auth
        .complete_registration(completion(&token, "correct horse battery"))
        .await
        .unwrap()
        .into_inner();

    // Assert: one email with the frontend link, an account, and a live session.
    assert_eq!(emails.len(), 1);
    assert!(
        emails[0]
            .text_body
            .contains("https://app.test/register?token=")
    );
    let session = completed.session.expect("auto-login is on by default");
    let profile = harness.profile(&session.access_token).await.unwrap();
    assert_eq!(profile.user_id, completed.user_id);
    assert_eq!(profile.email, "Ann@Example.com");
    assert_eq!(profile.referral_code.as_deref(), Some("FRIEND42"));
    harness.db.drop_database().await;
}

#[tokio::test]
async fn without_auto_login_registration_returns_no_session() {
    let mut harness = harness_with(|config| config.frontend.auto_login = false).await;

    let completed = harness.register("bo@example.com", "long enough pw").await;

    assert!(completed.session.is_none());
    assert!(
        harness
            .sign_in("bo@example.com", "long enough pw")
            .await
            .is_ok()
    );
    harness.db.drop_database().await;
}

#[tokio::test]
async fn used_expired_and_unknown_links_are_refused() {
    // Arrange: one link used, one expired.
    let mut harness = harness().await;
    harness
        .auth
        .request_registration(registration("cy@example.com"))
        .await
        .unwrap();
    let used = harness.emailed_token("cy@example.com").await;
    harness
        .auth
        .complete_registration(completion(&used, "long enough pw"))
        .await
        .unwrap();
    harness
        .auth
        .request_registration(registration("di@example.com"))
        .await
        .unwrap();
    let expired = harness.emailed_token("di@example.com").await;
    sqlx::query("UPDATE auth.email_link SET expires_at = now() - interval '1 second'")
        .execute(&harness.db.pool)
        .await
        .unwrap();

    // Act
    let reused = harness
        .auth
        .complete_registration(completion(&used, "long enough pw"))
        .await;
    let late = harness
        .auth
        .complete_registration(completion(&expired, "long enough pw"))
        .await;
    let unknown = harness
        .auth
        .complete_registration(completion("made-up", "long enough pw"))
        .await;

    // Assert
    let reused = reused.unwrap_err();
    assert_eq!(reused.code(), Code::FailedPrecondition);
    assert_eq!(
        reused.message(),
        "this link has already been used; ask for a new one"
    );
    let late = late.unwrap_err();
    assert_eq!(late.code(), Code::FailedPrecondition);
    assert_eq!(late.message(), "this link has expired; ask for a new one");
    assert_eq!(unknown.unwrap_err().code(), Code::NotFound);
    harness.db.drop_database().await;
}

#[tokio::test]
async fn a_weak_password_is_refused_and_the_link_stays_usable() {
    let mut harness = harness().await;
    harness
        .auth
        .request_registration(registration("ed@example.com"))
        .await
        .unwrap();
    let token = harness.emailed_token("ed@example.com").await;

    let refused = harness
        .auth
        .complete_registration(completion(&token, "short"))
        .await;
    let accepted = harness
        .auth
        .complete_registration(completion(&token, "a longer one"))
        .await;

    let refused = refused.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(
        refused.message(),
        "the password must be at least 8 characters long"
    );
    assert!(accepted.is_ok());
    harness.db.drop_database().await;
}

#[tokio::test]
async fn registration_requests_are_checked_and_never_reveal_accounts() {
    // Arrange: a one-second resend interval, waited out after the first registration.
    let mut harness = harness_with(|config| {
        config.email_provider.register_domain.enable_black_list = true;
        config.email_provider.register_domain.black_list = vec!["spam.test".into()];
        config.email_provider.resend_interval = Seconds(1);
    })
    .await;
    harness.register("fay@example.com", "long enough pw").await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    // Act
    let existing = harness
        .auth
        .request_registration(registration("FAY@example.com"))
        .await;
    let existing_again = harness
        .auth
        .request_registration(registration("fay@example.com"))
        .await;
    let new = harness
        .auth
        .request_registration(registration("gus@example.com"))
        .await;
    let new_again = harness
        .auth
        .request_registration(registration("gus@example.com"))
        .await;
    let malformed = harness
        .auth
        .request_registration(registration("not-an-address"))
        .await;
    let blocked = harness
        .auth
        .request_registration(registration("x@spam.test"))
        .await;

    // Assert: an existing account and a new address get the same answers, but only the new
    // address gets an email.
    assert!(existing.is_ok() && new.is_ok());
    let (existing_again, new_again) = (existing_again.unwrap_err(), new_again.unwrap_err());
    assert_eq!(existing_again.code(), Code::ResourceExhausted);
    assert_eq!(new_again.code(), Code::ResourceExhausted);
    assert!(new_again.metadata().get("retry-after").is_some());
    let emails = harness.emails().await;
    assert_eq!(
        emails
            .iter()
            .filter(|email| email.to.eq_ignore_ascii_case("fay@example.com"))
            .count(),
        1
    );
    assert_eq!(
        emails
            .iter()
            .filter(|email| email.to == "gus@example.com")
            .count(),
        1
    );
    assert_eq!(malformed.unwrap_err().code(), Code::InvalidArgument);
    assert_eq!(blocked.unwrap_err().code(), Code::InvalidArgument);
    harness.db.drop_database().await;
}

#[tokio::test]
async fn sign_in_refuses_wrong_passwords_unknown_addresses_and_banned_accounts() {
    let mut harness = harness().await;
    harness.register("hal@example.com", "long enough pw").await;

    let wrong = harness
        .sign_in("hal@example.com", "wrong password")
        .await
        .unwrap_err();
    let unknown = harness
        .sign_in("nobody@example.com", "long enough pw")
        .await
        .unwrap_err();
    sqlx::query("UPDATE auth.user_account SET banned_at = now()")
        .execute(&harness.db.pool)
        .await
        .unwrap();
    let banned = harness
        .sign_in("hal@example.com", "long enough pw")
        .await
        .unwrap_err();

    assert_eq!(wrong.code(), Code::Unauthenticated);
    assert_eq!(
        (unknown.code(), unknown.message()),
        (wrong.code(), wrong.message())
    );
    assert_eq!(banned.code(), Code::PermissionDenied);
    harness.db.drop_database().await;
}

#[tokio::test]
async fn a_refresh_rotates_the_token_and_a_reused_one_ends_the_session() {
    // Arrange
    let mut harness = harness().await;
    harness.register("ida@example.com", "long enough pw").await;
    let first = harness
        .sign_in("ida@example.com", "long enough pw")
        .await
        .unwrap();
    let refresh = |token: &str| RefreshSessionRequest {
        refresh_token: token.into(),
    };

    // Act: a normal refresh, then the old token presented again.
    let second = harness
        .auth
        .refresh_session(refresh(&first.refresh_token))
        .await
        .unwrap();
    let second = second.into_inner().session.unwrap();
    let reused = harness
        .auth
        .refresh_session(refresh(&first.refresh_token))
        .await
        .unwrap_err();

    // Assert: the reuse ended the session, so its newest tokens stop working too.
    assert_ne!(second.refresh_token, first.refresh_token);
    assert_eq!(second.session_id, first.session_id);
    assert_eq!(reused.code(), Code::Unauthenticated);
    let after = harness
        .auth
        .refresh_session(refresh(&second.refresh_token))
        .await
        .unwrap_err();
    assert_eq!(after.code(), Code::Unauthenticated);
    let profile = harness.profile(&second.access_token).await.unwrap_err();
    assert_eq!(profile.code(), Code::Unauthenticated);
    harness.db.drop_database().await;
}

#[tokio::test]
async fn racing_refreshes_with_one_token_never_yield_two_sessions() {
    let mut harness = harness().await;
    harness.register("jo@example.com", "long enough pw").await;
    let session = harness
        .sign_in("jo@example.com", "long enough pw")
        .await
        .unwrap();

    let mut racers = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let mut client = harness.auth.clone();
        let refresh_token = session.refresh_token.clone();
        racers.spawn(async move {
            client
                .refresh_session(RefreshSessionRequest { refresh_token })
                .await
                .is_ok()
        });
    }
    let successes = racers
        .join_all()
        .await
        .into_iter()
        .filter(|won| *won)
        .count();

    assert!(
        successes <= 1,
        "{successes} refreshes succeeded with one token"
    );
    harness.db.drop_database().await;
}

#[tokio::test]
async fn racing_completions_of_two_links_for_one_address_create_one_account() {
    // Arrange: two live registration links for one address, a resend interval apart.
    let mut harness = harness_with(|config| {
        config.email_provider.resend_interval = Seconds(1);
    })
    .await;
    let address = "twice@example.com";
    harness
        .auth
        .request_registration(registration(address))
        .await
        .unwrap();
    let first_link = harness.emailed_token(address).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    harness
        .auth
        .request_registration(registration(address))
        .await
        .unwrap();
    let second_link = harness.emailed_token(address).await;
    assert_ne!(first_link, second_link);

    // Act: each link presented four times at once.
    let mut racers = tokio::task::JoinSet::new();
    for token in [&first_link, &second_link].repeat(4) {
        let mut client = harness.auth.clone();
        let request = completion(token, "long enough pw");
        racers.spawn(async move { client.complete_registration(request).await });
    }
    let outcomes = racers.join_all().await;

    // Assert: one account; every loser is told why, none gets an internal error.
    let winners = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
    assert_eq!(winners, 1);
    for refusal in outcomes.iter().filter_map(|outcome| outcome.as_ref().err()) {
        assert!(
            matches!(
                refusal.code(),
                Code::AlreadyExists | Code::FailedPrecondition
            ),
            "{refusal:?}"
        );
    }
    let accounts: i64 = sqlx::query_scalar("SELECT count(*) FROM auth.user_account")
        .fetch_one(&harness.db.pool)
        .await
        .unwrap();
    assert_eq!(accounts, 1);
    harness.db.drop_database().await;
}

#[tokio::test]
async fn sessions_can_be_listed_revoked_one_by_one_and_signed_out() {
    // Arrange
    let mut harness = harness().await;
    harness.register("kim@example.com", "long enough pw").await;
    let laptop = harness
        .sign_in("kim@example.com", "long enough pw")
        .await
        .unwrap();
    let phone = harness
        .sign_in("kim@example.com", "long enough pw")
        .await
        .unwrap();

    // Act
    let listed = harness
        .account
        .list_sessions(authorized(ListSessionsRequest {}, &laptop.access_token))
        .await
        .unwrap()
        .into_inner()
        .sessions;
    let revoke = RevokeSessionRequest {
        session_id: phone.session_id.clone(),
    };
    harness
        .account
        .revoke_session(authorized(revoke, &laptop.access_token))
        .await
        .unwrap();
    let phone_after = harness.profile(&phone.access_token).await;
    harness
        .account
        .sign_out(authorized(SignOutRequest {}, &laptop.access_token))
        .await
        .unwrap();
    let laptop_after = harness.profile(&laptop.access_token).await;

    // Assert
    assert_eq!(listed.len(), 3, "registration, laptop and phone");
    assert!(
        listed
            .iter()
            .any(|session| session.current && session.id == laptop.session_id)
    );
    assert!(listed.iter().all(|session| !session.ip_address.is_empty()));
    assert_eq!(phone_after.unwrap_err().code(), Code::Unauthenticated);
    assert_eq!(laptop_after.unwrap_err().code(), Code::Unauthenticated);
    harness.db.drop_database().await;
}

#[tokio::test]
async fn starting_a_session_beyond_the_limit_ends_the_least_recently_used() {
    // Arrange: a customer signed in by registration, then on as many more devices as the
    // limit allows, started directly so that no password is hashed a hundred times.
    let mut harness = harness().await;
    let registered = harness.register("busy@example.com", "long enough pw").await;
    let oldest = registered.session.unwrap();
    let user_id = Uuid::parse_str(&registered.user_id).unwrap();
    let sessions = SessionService::new(
        DatabaseProcessor::from_pool(harness.db.pool.clone()),
        SessionMarkers::new(harness.redis.clone()),
        harness.configs.clone(),
        harness.cache.clone(),
    );
    harness.profile(&oldest.access_token).await.unwrap();

    // Act
    let mut newest = None;
    for device in 0..MAX_ACTIVE_SESSIONS {
        let start = StartSession {
            user_id,
            device: format!("device {device}"),
            ip_address: "192.0.2.7".into(),
        };
        newest = Some(sessions.process(start).await.unwrap());
    }

    // Assert: the first session ended at once; the list holds exactly the limit.
    let newest = newest.unwrap();
    let refused = harness.profile(&oldest.access_token).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);
    let request = authorized(ListSessionsRequest {}, &newest.access_token);
    let listed = harness.account.list_sessions(request).await.unwrap();
    let listed = listed.into_inner().sessions;
    assert_eq!(listed.len(), usize::try_from(MAX_ACTIVE_SESSIONS).unwrap());
    assert!(listed.iter().all(|session| session.id != oldest.session_id));
    harness.db.drop_database().await;
}

#[tokio::test]
async fn signing_out_other_sessions_keeps_only_the_callers() {
    // Arrange: one account on three devices.
    let mut harness = harness().await;
    let registered = harness.register("many@example.com", "long enough pw").await;
    let laptop = registered.session.unwrap();
    let phone = harness
        .sign_in("many@example.com", "long enough pw")
        .await
        .unwrap();
    let tablet = harness
        .sign_in("many@example.com", "long enough pw")
        .await
        .unwrap();

    // Act
    let request = authorized(SignOutOtherSessionsRequest {}, &phone.access_token);
    let ended = harness
        .account
        .sign_out_other_sessions(request)
        .await
        .unwrap();

    // Assert: the other two ended, access and refresh alike; the caller's session goes on.
    assert_eq!(ended.into_inner().sessions_ended, 2);
    for other in [&laptop, &tablet] {
        let refused = harness.profile(&other.access_token).await.unwrap_err();
        assert_eq!(refused.code(), Code::Unauthenticated);
        let refresh = RefreshSessionRequest {
            refresh_token: other.refresh_token.clone(),
        };
        let refused = harness.auth.refresh_session(refresh).await.unwrap_err();
        assert_eq!(refused.code(), Code::Unauthenticated);
    }
    harness.profile(&phone.access_token).await.unwrap();
    let request = authorized(ListSessionsRequest {}, &phone.access_token);
    let listed = harness.account.list_sessions(request).await.unwrap();
    let listed = listed.into_inner().sessions;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, phone.session_id);
    harness.db.drop_database().await;
}

#[tokio::test]
async fn another_customers_session_cannot_be_revoked() {
    let mut harness = harness().await;
    let lee = harness
        .register("lee@example.com", "long enough pw")
        .await
        .session
        .unwrap();
    let max = harness
        .register("max@example.com", "long enough pw")
        .await
        .session
        .unwrap();

    let revoke = RevokeSessionRequest {
        session_id: max.session_id.clone(),
    };
    let attempt = harness
        .account
        .revoke_session(authorized(revoke, &lee.access_token))
        .await;

    assert_eq!(attempt.unwrap_err().code(), Code::NotFound);
    assert!(harness.profile(&max.access_token).await.is_ok());
    harness.db.drop_database().await;
}

#[tokio::test]
async fn a_password_reset_ends_every_session_at_once() {
    // Arrange
    let mut harness = harness().await;
    harness.register("ned@example.com", "old password 1").await;
    let session = harness
        .sign_in("ned@example.com", "old password 1")
        .await
        .unwrap();

    // Act
    let request = RequestPasswordResetRequest {
        email: "ned@example.com".into(),
    };
    harness.auth.request_password_reset(request).await.unwrap();
    let token = harness.emailed_token("ned@example.com").await;
    let reset = CompletePasswordResetRequest {
        token,
        new_password: "new password 2".into(),
    };
    harness
        .auth
        .complete_password_reset(reset.clone())
        .await
        .unwrap();

    // Assert: old access and refresh tokens are dead, the old password is refused, the new
    // one works, and the link works once.
    let profile = harness.profile(&session.access_token).await;
    assert_eq!(profile.unwrap_err().code(), Code::Unauthenticated);
    let refresh = RefreshSessionRequest {
        refresh_token: session.refresh_token,
    };
    let refreshed = harness.auth.refresh_session(refresh).await;
    assert_eq!(refreshed.unwrap_err().code(), Code::Unauthenticated);
    assert!(
        harness
            .sign_in("ned@example.com", "old password 1")
            .await
            .is_err()
    );
    assert!(
        harness
            .sign_in("ned@example.com", "new password 2")
            .await
            .is_ok()
    );
    let again = harness.auth.complete_password_reset(reset).await;
    assert_eq!(again.unwrap_err().code(), Code::FailedPrecondition);
    harness.db.drop_database().await;
}

#[tokio::test]
async fn a_reset_request_for_an_unknown_address_looks_the_same_and_sends_nothing() {
    let mut harness = harness().await;

    let request = RequestPasswordResetRequest {
        email: "ghost@example.com".into(),
    };
    let answer = harness.auth.request_password_reset(request).await;

    assert!(answer.is_ok());
    assert!(harness.emails().await.is_empty());
    harness.db.drop_database().await;
}

#[tokio::test]
async fn missing_tampered_and_foreign_audience_tokens_are_refused() {
    // Arrange: a token signed with the right secret but for the admin audience.
    let mut harness = harness().await;
    let session = harness
        .register("oz@example.com", "long enough pw")
        .await
        .session
        .unwrap();
    let config: AuthConfig = harness.configs.load().await.unwrap();
    let some_id = "0192f0a0-0000-7000-8000-000000000000";
    let claims = serde_json::json!({
        "iss": config.jwt.issuer, "aud": "HeliumAdmin", "sub": some_id, "sid": some_id,
        "iat": 0, "exp": 4_102_444_800i64,
    });
    let codec = JwtCodec::new(config.jwt.secret.expose(), &config.jwt.issuer).unwrap();
    let foreign = codec.issue(&claims).unwrap();

    // Act
    let missing = harness
        .account
        .get_profile(GetProfileRequest {})
        .await
        .unwrap_err();
    let tampered = harness
        .profile(&format!("{}x", session.access_token))
        .await
        .unwrap_err();
    let foreign = harness.profile(&foreign).await.unwrap_err();

    // Assert
    for refused in [&missing, &tampered, &foreign] {
        assert_eq!(refused.code(), Code::Unauthenticated, "{refused:?}");
    }
    assert_eq!(foreign.message(), "the token is not meant for this service");
    harness.db.drop_database().await;
}

#[tokio::test]
async fn repeated_wrong_passwords_lock_the_account_for_a_while() {
    // Arrange: a shield policy of three failures.
    let mut harness = harness().await;
    let mut shield = helium_shield::config::ShieldConfig::defaults();
    shield.lockout.failures = 3;
    harness.configs.save(&shield).await.unwrap();
    harness.register("pat@example.com", "long enough pw").await;

    // Act
    for _ in 0..3 {
        let refused = harness
            .sign_in("pat@example.com", "wrong password")
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::Unauthenticated);
    }
    let locked = harness
        .sign_in("pat@example.com", "long enough pw")
        .await
        .unwrap_err();

    // Assert: even the right password waits out the lock, and the caller is told how long.
    assert_eq!(locked.code(), Code::ResourceExhausted);
    let retry_after: u64 = locked
        .metadata()
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after > 0 && retry_after <= shield.lockout.lock_for.0);
    harness.db.drop_database().await;
}

#[tokio::test]
async fn the_registration_link_arrives_over_smtp_and_completes_the_account() {
    use helium_framework::amqp::{AmqpConnection, Consumer, QueueSpec};
    use helium_framework::outbox::OutboxRelay;
    use helium_framework::testing::{mq_url, smtp::FakeSmtpServer};
    use helium_mailer::config::MailerConfig;
    use helium_mailer::events::SEND_EMAIL;
    use helium_mailer::services::MailDelivery;

    // Arrange: the whole mail path of a deployment: outbox relay, RabbitMQ, a mailer consumer
    // on a queue of this test's own, and an SMTP server.
    let mut harness = harness().await;
    let smtp = FakeSmtpServer::start().await;
    let mailer = MailerConfig {
        host: "127.0.0.1".into(),
        port: smtp.port(),
        starttls: false,
        ..MailerConfig::defaults()
    };
    harness.configs.save(&mailer).await.unwrap();
    let amqp = AmqpConnection::new(&mq_url()).unwrap();
    // A routing key of this test's own, so the email reaches only this test's queue and not
    // the `mailer.send` queue of any mailer worker sharing the broker.
    let routing_key = unique_name("test.mailer.email.send");
    let spec = QueueSpec::new(unique_name("test-mailer"), &[routing_key.as_str()]);
    helium_framework::amqp::declare_queue(&amqp.channel().await.unwrap(), &spec)
        .await
        .unwrap();
    let redis = RedisConnection::with_prefix(&redis_url(), &unique_name("test")).unwrap();
    let delivery = MailDelivery::new(harness.configs.clone(), redis);
    let consumer = Consumer::new(amqp.clone(), spec.clone(), delivery);
    let relay = OutboxRelay::new(harness.db.pool.clone(), amqp.clone());
    let shutdown = tokio_util::sync::CancellationToken::new();
    let (stop_consumer, stop_relay) = (shutdown.clone(), shutdown.clone());
    let consuming = tokio::spawn(async move { consumer.run(stop_consumer).await });

    // Act: ask for a link, read it from the delivered mail, and follow it.
    harness
        .auth
        .request_registration(registration("quinn@example.com"))
        .await
        .unwrap();
    sqlx::query("UPDATE public.outbox_event SET routing_key = $1 WHERE routing_key = $2")
        .bind(&routing_key)
        .bind(SEND_EMAIL)
        .execute(&harness.db.pool)
        .await
        .unwrap();
    let relaying = tokio::spawn(async move { relay.run(stop_relay).await });
    let mut delivered = Vec::new();
    for _ in 0..100 {
        delivered = smtp.received();
        if !delivered.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let mail = delivered
        .first()
        .expect("no mail reached the SMTP server")
        .clone();
    // The body is quoted-printable: undo its soft line breaks and its escaped `=`.
    let body = mail.data.replace("=\n", "").replace("=3D", "=");
    let start = body.find("token=").expect("no link in the mail") + 6;
    let token: String = body[start..]
        .chars()
        .take_while(|character| character.is_ascii_alphanumeric() || "-_".contains(*character))
        .collect();
    let completed = harness
        .auth
        .complete_registration(completion(&token, "long enough pw"))
        .await;

    // Assert
    assert_eq!(mail.to, vec!["<quinn@example.com>".to_owned()]);
    assert!(mail.data.contains("Subject: "));
    assert!(completed.unwrap().into_inner().session.is_some());
    shutdown.cancel();
    consuming.await.unwrap();
    relaying.await.unwrap();
    helium_framework::testing::delete_queues(&amqp, &spec).await;
    harness.db.drop_database().await;
}

#[tokio::test]
async fn a_sign_in_from_a_new_device_sends_a_notice_once() {
    let mut harness = harness().await;
    harness.register("ray@example.com", "long enough pw").await;
    let notices = |emails: Vec<SendEmail>| {
        emails
            .into_iter()
            .filter(|email| email.subject.contains("sign-in"))
            .count()
    };

    harness
        .sign_in("ray@example.com", "long enough pw")
        .await
        .unwrap();
    let after_first = notices(harness.emails().await);
    harness
        .sign_in("ray@example.com", "long enough pw")
        .await
        .unwrap();
    let after_second = notices(harness.emails().await);

    assert_eq!(after_first, 1, "the laptop is new: one notice");
    assert_eq!(after_second, 1, "the laptop is known now: no second notice");
    harness.db.drop_database().await;
}

#[tokio::test]
async fn a_suspended_account_cannot_refresh_and_loses_its_sessions() {
    let mut harness = harness().await;
    let session = harness
        .register("sue@example.com", "long enough pw")
        .await
        .session
        .unwrap();
    sqlx::query("UPDATE auth.user_account SET banned_at = now()")
        .execute(&harness.db.pool)
        .await
        .unwrap();

    let refresh = RefreshSessionRequest {
        refresh_token: session.refresh_token,
    };
    let refused = harness.auth.refresh_session(refresh).await.unwrap_err();
    let profile = harness.profile(&session.access_token).await.unwrap_err();

    assert_eq!(refused.code(), Code::PermissionDenied);
    assert_eq!(profile.code(), Code::Unauthenticated);
    harness.db.drop_database().await;
}
