//! Multi-factor authentication end to end through the gRPC API: enrolment, the second step of
//! sign-in, recovery codes and turning MFA off. Codes are made from the enrolment's secret
//! with the same TOTP library an authenticator app would follow.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use helium_auth::rpc::pb::*;
use helium_framework::config::ModuleConfig;
use helium_framework::tokens::secret_hash;
use redis::AsyncCommands;
use tonic::Code;
use totp_rs::{Builder, Secret, Totp};

use common::*;

const PASSWORD: &str = "long enough pw";

/// An authenticator app holding `secret`.
fn app(secret: &str) -> Totp {
    Builder::new()
        .with_secret(Secret::try_from_base32(secret).unwrap())
        .build()
        .unwrap()
}

fn now() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap()
}

/// The code of the step after the current one: still accepted (one step of clock drift is
/// allowed), and later than the code that confirmed the enrolment, which may not be reused.
fn next_code(app: &Totp) -> String {
    app.generate(now() + 30).to_string()
}

/// A six-digit code that is not `code`.
fn wrong(code: &str) -> String {
    let first = code.chars().next().unwrap().to_digit(10).unwrap();
    format!("{}{}", (first + 1) % 10, &code[1..])
}

/// A customer who registered (and so is signed in) and has MFA on.
struct Enrolled {
    email: String,
    access_token: String,
    app: Totp,
    recovery_codes: Vec<String>,
}

impl Harness {
    async fn signed_up(&mut self, email: &str) -> String {
        let registered = self.register(email, PASSWORD).await;
        registered.session.unwrap().access_token
    }

    async fn begin_enrolment(&mut self, access_token: &str) -> BeginMfaEnrollmentResponse {
        let request = authorized(BeginMfaEnrollmentRequest {}, access_token);
        let response = self.account.begin_mfa_enrollment(request).await;
        response.unwrap().into_inner()
    }

    /// Confirms with a fresh re-verification, as a frontend would ask for just before.
    async fn confirm_enrolment(
        &mut self,
        access_token: &str,
        code: &str,
    ) -> Result<Vec<String>, tonic::Status> {
        let reverification_token = self.reverify(access_token, PASSWORD).await;
        self.confirm_with(access_token, code, &reverification_token)
            .await
    }

    async fn confirm_with(
        &mut self,
        access_token: &str,
        code: &str,
        reverification_token: &str,
    ) -> Result<Vec<String>, tonic::Status> {
        let message = ConfirmMfaEnrollmentRequest {
            code: code.into(),
            reverification_token: reverification_token.into(),
        };
        let request = authorized(message, access_token);
        let response = self.account.confirm_mfa_enrollment(request).await?;
        Ok(response.into_inner().recovery_codes)
    }

    async fn enrolled(&mut self, email: &str) -> Enrolled {
        let access_token = self.signed_up(email).await;
        let enrolment = self.begin_enrolment(&access_token).await;
        let app = app(&enrolment.secret);
        let code = app.generate(now()).to_string();
        let recovery_codes = self.confirm_enrolment(&access_token, &code).await.unwrap();
        Enrolled {
            email: email.into(),
            access_token,
            app,
            recovery_codes,
        }
    }

    /// Signs in with the right password and returns the MFA challenge.
    async fn challenge(&mut self, email: &str) -> String {
        let request = SignInRequest {
            email: email.into(),
            password: PASSWORD.into(),
            device: "laptop".into(),
        };
        let response = self.auth.sign_in(request).await.unwrap().into_inner();
        assert!(response.session.is_none(), "MFA is on: no session yet");
        response.mfa_challenge.expect("MFA is on: a challenge")
    }

    async fn complete(
        &mut self,
        challenge: &str,
        code: &str,
    ) -> Result<CompleteSignInResponse, tonic::Status> {
        let request = CompleteSignInRequest {
            challenge: challenge.into(),
            code: code.into(),
        };
        Ok(self.auth.complete_sign_in(request).await?.into_inner())
    }

    async fn disable(
        &mut self,
        access_token: &str,
        password: &str,
        code: &str,
    ) -> Result<(), tonic::Status> {
        let message = DisableMfaRequest {
            password: password.into(),
            code: code.into(),
        };
        let request = authorized(message, access_token);
        self.account.disable_mfa(request).await?;
        Ok(())
    }

    async fn subjects(&self, to: &str) -> Vec<String> {
        let emails = self.emails().await;
        emails
            .into_iter()
            .filter(|email| email.to == to)
            .map(|email| email.subject)
            .collect()
    }
}

#[tokio::test]
async fn enrolment_confirmed_with_a_current_code_turns_mfa_on_and_returns_recovery_codes() {
    // Arrange
    let mut harness = harness().await;
    let access_token = harness.signed_up("amy@example.com").await;

    // Act
    let enrolment = harness.begin_enrolment(&access_token).await;
    let pending = harness.profile(&access_token).await.unwrap();
    let code = app(&enrolment.secret).generate(now()).to_string();
    let recovery_codes = harness
        .confirm_enrolment(&access_token, &code)
        .await
        .unwrap();
    let confirmed = harness.profile(&access_token).await.unwrap();
    let again = harness
        .account
        .begin_mfa_enrollment(authorized(BeginMfaEnrollmentRequest {}, &access_token))
        .await;

    // Assert: an app-ready secret, ten distinct recovery codes, the flag, and a notice.
    assert!(enrolment.otpauth_uri.starts_with("otpauth://totp/"));
    assert!(
        enrolment
            .otpauth_uri
            .contains(&format!("secret={}", enrolment.secret))
    );
    assert!(
        !pending.mfa_enabled,
        "an unconfirmed enrolment protects nothing"
    );
    assert!(confirmed.mfa_enabled);
    assert_eq!(recovery_codes.len(), 10);
    let mut distinct = recovery_codes.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 10);
    let stored: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT code_hash FROM auth.mfa_recovery_code ORDER BY code_hash")
            .fetch_all(&harness.db.pool)
            .await
            .unwrap();
    assert_eq!(stored.len(), 10);
    assert!(
        stored.iter().all(|hash| recovery_codes
            .iter()
            .all(|code| hash.as_slice() != code.as_bytes())),
        "recovery codes are stored only as hashes"
    );
    assert_eq!(again.unwrap_err().code(), Code::FailedPrecondition);
    let subjects = harness.subjects("amy@example.com").await;
    assert!(
        subjects
            .iter()
            .any(|subject| subject.contains("Two-factor authentication was turned on"))
    );
    harness.db.drop_database().await;
}

#[tokio::test]
async fn turning_mfa_on_needs_a_fresh_reverification() {
    // Arrange: a stolen access token alone must not add a factor that locks the owner out.
    let mut harness = harness().await;
    let access_token = harness.signed_up("ada@example.com").await;
    let enrolment = harness.begin_enrolment(&access_token).await;
    let code = app(&enrolment.secret).generate(now()).to_string();
    let grant = harness.reverify(&access_token, PASSWORD).await;

    // Act
    let without = harness.confirm_with(&access_token, &code, "").await;
    let made_up = harness.confirm_with(&access_token, &code, "made-up").await;
    let wrong_code = harness
        .confirm_with(&access_token, &wrong(&code), &grant)
        .await;
    let after_refusals = harness.profile(&access_token).await.unwrap();
    let confirmed = harness.confirm_with(&access_token, &code, &grant).await;

    // Assert
    assert_eq!(without.unwrap_err().code(), Code::PermissionDenied);
    assert_eq!(made_up.unwrap_err().code(), Code::PermissionDenied);
    assert_eq!(wrong_code.unwrap_err().code(), Code::InvalidArgument);
    assert!(!after_refusals.mfa_enabled);
    let recovery_codes = confirmed.expect("the grant survived the wrong code");
    assert_eq!(recovery_codes.len(), 10);
    assert!(harness.profile(&access_token).await.unwrap().mfa_enabled);
    harness.db.drop_database().await;
}

#[tokio::test]
async fn a_wrong_confirmation_code_is_refused_and_mfa_stays_off() {
    // Arrange
    let mut harness = harness().await;
    let access_token = harness.signed_up("ben@example.com").await;
    let enrolment = harness.begin_enrolment(&access_token).await;
    let code = app(&enrolment.secret).generate(now()).to_string();

    // Act
    let refused = harness
        .confirm_enrolment(&access_token, &wrong(&code))
        .await
        .unwrap_err();
    let profile = harness.profile(&access_token).await.unwrap();
    let signed_in = harness.sign_in("ben@example.com", PASSWORD).await;

    // Assert: MFA is still off, so the password alone still signs in.
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(refused.message().contains("code is not correct"));
    assert!(!profile.mfa_enabled);
    assert!(signed_in.is_ok());
    harness.db.drop_database().await;
}

#[tokio::test]
async fn with_mfa_on_the_password_gives_a_challenge_and_a_code_starts_the_session() {
    // Arrange
    let mut harness = harness().await;
    let enrolled = harness.enrolled("cat@example.com").await;
    let notices = |subjects: &[String]| {
        subjects
            .iter()
            .filter(|subject| subject.contains("sign-in"))
            .count()
    };

    // Act
    let challenge = harness.challenge(&enrolled.email).await;
    let before = notices(&harness.subjects(&enrolled.email).await);
    let completed = harness
        .complete(&challenge, &next_code(&enrolled.app))
        .await
        .unwrap();
    let after = notices(&harness.subjects(&enrolled.email).await);

    // Assert: a working session, and the new-device notice only once the sign-in completed.
    let session = completed.session.unwrap();
    let profile = harness.profile(&session.access_token).await.unwrap();
    assert_eq!(profile.user_id, completed.user_id);
    assert_eq!((before, after), (0, 1));
    harness.db.drop_database().await;
}

#[tokio::test]
async fn a_wrong_code_is_refused_and_the_challenge_can_be_retried() {
    // Arrange
    let mut harness = harness().await;
    let enrolled = harness.enrolled("dan@example.com").await;
    let challenge = harness.challenge(&enrolled.email).await;
    let code = next_code(&enrolled.app);

    // Act
    let refused = harness.complete(&challenge, &wrong(&code)).await;
    let garbage = harness.complete(&challenge, "not a code").await;
    let retried = harness.complete(&challenge, &code).await;

    // Assert
    let refused = refused.unwrap_err();
    assert_eq!(refused.code(), Code::Unauthenticated);
    assert!(refused.message().contains("code is not correct"));
    assert_eq!(garbage.unwrap_err().code(), Code::Unauthenticated);
    assert!(retried.unwrap().session.is_some());
    harness.db.drop_database().await;
}

#[tokio::test]
async fn guessing_codes_locks_sign_in_like_guessing_passwords() {
    // Arrange: a shield policy of three failures.
    let mut harness = harness().await;
    let mut shield = helium_shield::config::ShieldConfig::defaults();
    shield.lockout.failures = 3;
    harness.configs.save(&shield).await.unwrap();
    let enrolled = harness.enrolled("eve@example.com").await;
    let code = next_code(&enrolled.app);

    // Act: fresh challenges do not reset the count, since the password's success is not
    // reported until the second factor arrives.
    for _ in 0..3 {
        let challenge = harness.challenge(&enrolled.email).await;
        let refused = harness.complete(&challenge, &wrong(&code)).await;
        assert_eq!(refused.unwrap_err().code(), Code::Unauthenticated);
    }
    let locked = harness
        .sign_in(&enrolled.email, PASSWORD)
        .await
        .unwrap_err();

    // Assert
    assert_eq!(locked.code(), Code::ResourceExhausted);
    harness.db.drop_database().await;
}

#[tokio::test]
async fn used_expired_and_unknown_challenges_are_refused() {
    // Arrange: one challenge completed, one left to expire.
    let mut harness = harness().await;
    let enrolled = harness.enrolled("fox@example.com").await;
    let used = harness.challenge(&enrolled.email).await;
    harness
        .complete(&used, &next_code(&enrolled.app))
        .await
        .unwrap();
    let expiring = harness.challenge(&enrolled.email).await;
    let digest = hex(&secret_hash(&expiring));
    let key = harness.redis.key("auth", "mfa_challenge", &digest);
    let mut redis = harness.redis.get().await.unwrap();
    let ttl: i64 = redis.ttl(&key).await.unwrap();
    // Waiting five minutes is no test: the key is removed as its expiry would remove it.
    let () = redis.del(&key).await.unwrap();

    // Act
    let reused = harness.complete(&used, &enrolled.recovery_codes[0]).await;
    let expired = harness
        .complete(&expiring, &enrolled.recovery_codes[0])
        .await;
    let unknown = harness
        .complete("made-up", &enrolled.recovery_codes[0])
        .await;

    // Assert
    assert!(
        ttl > 0 && ttl <= 300,
        "the challenge expires in five minutes: {ttl}"
    );
    for refused in [reused, expired, unknown] {
        let refused = refused.unwrap_err();
        assert_eq!(refused.code(), Code::Unauthenticated);
        assert!(refused.message().contains("sign in again"));
    }
    harness.db.drop_database().await;
}

#[tokio::test]
async fn a_recovery_code_works_once_even_when_two_sign_ins_race_with_it() {
    // Arrange: two sign-ins waiting for their second factor.
    let mut harness = harness().await;
    let enrolled = harness.enrolled("gil@example.com").await;
    let first = harness.challenge(&enrolled.email).await;
    let second = harness.challenge(&enrolled.email).await;
    // Typed differently from how it was shown: dashes and case do not matter.
    let code = enrolled.recovery_codes[3].replace('-', "").to_lowercase();
    let mut other = harness.auth.clone();
    let race = CompleteSignInRequest {
        challenge: second.clone(),
        code: code.clone(),
    };

    // Act
    let (one, two) = tokio::join!(
        harness.complete(&first, &code),
        other.complete_sign_in(race)
    );
    let winners = usize::from(one.is_ok()) + usize::from(two.is_ok());
    let loser = if one.is_ok() { second } else { first };
    let reused = harness.complete(&loser, &enrolled.recovery_codes[3]).await;
    let unused = harness.complete(&loser, &enrolled.recovery_codes[4]).await;

    // Assert: the losing sign-in is still waiting, and only an unused code completes it.
    assert_eq!(
        winners, 1,
        "exactly one use of the recovery code gets through"
    );
    assert_eq!(reused.unwrap_err().code(), Code::Unauthenticated);
    assert!(unused.unwrap().session.is_some());
    harness.db.drop_database().await;
}

#[tokio::test]
async fn a_totp_code_is_accepted_only_once() {
    // Arrange
    let mut harness = harness().await;
    let enrolled = harness.enrolled("hal@example.com").await;
    let code = next_code(&enrolled.app);
    let first = harness.challenge(&enrolled.email).await;
    harness.complete(&first, &code).await.unwrap();
    let second = harness.challenge(&enrolled.email).await;

    // Act
    let replayed = harness.complete(&second, &code).await;
    let confirming = harness
        .complete(&second, &enrolled.app.generate(now()).to_string())
        .await;

    // Assert: neither the code just used nor the older one that confirmed the enrolment.
    assert_eq!(replayed.unwrap_err().code(), Code::Unauthenticated);
    assert_eq!(confirming.unwrap_err().code(), Code::Unauthenticated);
    harness.db.drop_database().await;
}

#[tokio::test]
async fn turning_mfa_off_needs_the_password_and_a_code() {
    // Arrange
    let mut harness = harness().await;
    let enrolled = harness.enrolled("ivy@example.com").await;
    let token = enrolled.access_token.clone();
    let code = next_code(&enrolled.app);

    // Act
    let wrong_password = harness.disable(&token, "not my password", &code).await;
    let wrong_code = harness.disable(&token, PASSWORD, &wrong(&code)).await;
    let still_on = harness.profile(&token).await.unwrap();
    let disabled = harness.disable(&token, PASSWORD, &code).await;
    let off = harness.profile(&token).await.unwrap();
    let again = harness.disable(&token, PASSWORD, &code).await;
    let signed_in = harness.sign_in(&enrolled.email, PASSWORD).await;

    // Assert: both proofs are needed; once off, the password alone signs in again.
    let wrong_password = wrong_password.unwrap_err();
    assert_eq!(wrong_password.code(), Code::PermissionDenied);
    assert_eq!(wrong_password.message(), "the password is not correct");
    let wrong_code = wrong_code.unwrap_err();
    assert_eq!(wrong_code.code(), Code::PermissionDenied);
    assert_eq!(wrong_code.message(), "the code is not correct");
    assert!(still_on.mfa_enabled);
    assert!(disabled.is_ok());
    assert!(!off.mfa_enabled);
    assert_eq!(again.unwrap_err().code(), Code::FailedPrecondition);
    assert!(signed_in.is_ok());
    let subjects = harness.subjects(&enrolled.email).await;
    assert!(
        subjects
            .iter()
            .any(|subject| subject.contains("Two-factor authentication was turned off"))
    );
    let codes_left: i64 = sqlx::query_scalar("SELECT count(*) FROM auth.mfa_recovery_code")
        .fetch_one(&harness.db.pool)
        .await
        .unwrap();
    assert_eq!(
        codes_left, 0,
        "the recovery codes go with the authenticator"
    );
    harness.db.drop_database().await;
}

#[tokio::test]
async fn a_recovery_code_can_turn_mfa_off() {
    // Arrange
    let mut harness = harness().await;
    let enrolled = harness.enrolled("jo@example.com").await;

    // Act
    let disabled = harness
        .disable(
            &enrolled.access_token,
            PASSWORD,
            &enrolled.recovery_codes[0],
        )
        .await;

    // Assert
    assert!(disabled.is_ok());
    let profile = harness.profile(&enrolled.access_token).await.unwrap();
    assert!(!profile.mfa_enabled);
    harness.db.drop_database().await;
}

#[tokio::test]
async fn with_mfa_on_re_verifying_needs_a_code_as_well_as_the_password() {
    // Arrange
    let mut harness = harness().await;
    let enrolled = harness.enrolled("kim@example.com").await;
    let token = enrolled.access_token.clone();
    let code = next_code(&enrolled.app);
    let reverify = |password: &str, mfa_code: Option<&str>| {
        let message = ReverifyRequest {
            password: password.into(),
            mfa_code: mfa_code.map(Into::into),
            oauth: None,
        };
        authorized(message, &token)
    };

    // Act
    let without_code = harness.account.reverify(reverify(PASSWORD, None)).await;
    let wrong_code = harness
        .account
        .reverify(reverify(PASSWORD, Some(&wrong(&code))))
        .await;
    let wrong_password = harness
        .account
        .reverify(reverify("not my password", Some(&code)))
        .await;
    let granted = harness
        .account
        .reverify(reverify(PASSWORD, Some(&code)))
        .await;
    let replayed_code = harness
        .account
        .reverify(reverify(PASSWORD, Some(&code)))
        .await;
    let by_recovery_code = harness
        .account
        .reverify(reverify(PASSWORD, Some(&enrolled.recovery_codes[0])))
        .await;

    // Assert
    let without_code = without_code.unwrap_err();
    assert_eq!(without_code.code(), Code::InvalidArgument);
    assert!(
        without_code
            .message()
            .contains("two-factor authentication is on")
    );
    assert_eq!(wrong_code.unwrap_err().code(), Code::PermissionDenied);
    assert_eq!(wrong_password.unwrap_err().code(), Code::PermissionDenied);
    let granted = granted.unwrap().into_inner();
    assert!(granted.reverification_token.len() >= 32);
    assert!(granted.expires_at.is_some());
    assert_eq!(replayed_code.unwrap_err().code(), Code::PermissionDenied);
    assert!(by_recovery_code.is_ok());
    harness.db.drop_database().await;
}

#[tokio::test]
async fn re_verifying_with_the_password_needs_a_live_session() {
    // Arrange
    let mut harness = harness().await;
    let access_token = harness.signed_up("lee@example.com").await;
    let wrong = ReverifyRequest {
        password: "not my password".into(),
        mfa_code: None,
        oauth: None,
    };

    // Act
    let refused = harness
        .account
        .reverify(authorized(wrong, &access_token))
        .await;
    let granted = harness.reverify(&access_token, PASSWORD).await;
    harness
        .account
        .sign_out(authorized(SignOutRequest {}, &access_token))
        .await
        .unwrap();
    let after_sign_out = harness
        .account
        .reverify(authorized(
            ReverifyRequest {
                password: PASSWORD.into(),
                mfa_code: None,
                oauth: None,
            },
            &access_token,
        ))
        .await;

    // Assert
    let refused = refused.unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    assert_eq!(refused.message(), "the password is not correct");
    assert!(!granted.is_empty());
    assert_eq!(after_sign_out.unwrap_err().code(), Code::Unauthenticated);
    harness.db.drop_database().await;
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
