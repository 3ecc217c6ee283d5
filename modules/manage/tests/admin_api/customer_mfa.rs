//! Removing a customer's MFA during a verified recovery: who may, what it does to the
//! customer's account and sessions, what the customer and the audit log are told, and that a
//! refused attempt changes nothing.

use helium_auth::rpc::pb as auth_pb;
use helium_manage::AdminRole;
use helium_manage::pb;
use tonic::Code;
use totp_rs::{Builder, Secret};

use crate::support::{CUSTOMER_PASSWORD, TestApi, authorized, refused};

const NOTE: &str = "video call; matched the ID card and the last payment's reference";

fn remove(customer_id: &str, note: &str) -> pb::RemoveCustomerMfaRequest {
    pb::RemoveCustomerMfaRequest {
        customer_id: customer_id.to_owned(),
        verification_note: note.to_owned(),
    }
}

/// Registers a customer, turns MFA on through the customer's own API and returns the id and
/// the access token of the session registration signed in.
async fn customer_with_mfa(api: &TestApi, email: &str) -> (String, String) {
    let (id, session) = api.register_customer(email).await;
    let mut account = api.customer_account().await;
    let secret = account
        .begin_mfa_enrollment(authorized(
            &session.access_token,
            auth_pb::BeginMfaEnrollmentRequest {},
        ))
        .await
        .unwrap()
        .into_inner()
        .secret;
    let app = Builder::new()
        .with_secret(Secret::try_from_base32(&secret).unwrap())
        .build()
        .unwrap();
    let reverify = auth_pb::ReverifyRequest {
        password: CUSTOMER_PASSWORD.to_owned(),
        mfa_code: None,
        oauth: None,
    };
    let reverification_token = account
        .reverify(authorized(&session.access_token, reverify))
        .await
        .unwrap()
        .into_inner()
        .reverification_token;
    account
        .confirm_mfa_enrollment(authorized(
            &session.access_token,
            auth_pb::ConfirmMfaEnrollmentRequest {
                code: app.generate_current().to_string(),
                reverification_token,
            },
        ))
        .await
        .unwrap();
    (id, session.access_token)
}

async fn mfa_enabled(api: &TestApi, token: &str, customer_id: &str) -> bool {
    api.admin()
        .await
        .get_customer(authorized(
            token,
            pb::GetCustomerRequest {
                customer_id: customer_id.to_owned(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .customer
        .unwrap()
        .mfa_enabled
}

async fn removal_rows(api: &TestApi) -> i64 {
    api.number("SELECT count(*) FROM manage.audit_log WHERE action = 'customer.mfa.remove'")
        .await
}

#[tokio::test]
async fn support_removes_mfa_ends_the_sessions_tells_the_customer_and_records_the_note() {
    // Arrange
    let api = TestApi::spawn().await;
    let (agent, token) = api.signed_in(AdminRole::CustomerSupport).await;
    let (customer_id, customer_token) = customer_with_mfa(&api, "lost.phone@example.com").await;
    let mut admin = api.admin().await;

    // Act
    let removed = admin
        .remove_customer_mfa(authorized(
            &token,
            remove(&customer_id, &format!(" {NOTE} ")),
        ))
        .await
        .unwrap()
        .into_inner();

    // Assert: the factor and its codes are gone, every session ended.
    assert_eq!(removed.sessions_ended, 1);
    assert!(!mfa_enabled(&api, &token, &customer_id).await);
    assert_eq!(
        api.number("SELECT count(*) FROM auth.mfa_recovery_code")
            .await,
        0
    );
    let profile = api
        .customer_account()
        .await
        .get_profile(authorized(&customer_token, auth_pb::GetProfileRequest {}))
        .await;
    refused(profile, Code::Unauthenticated);

    // The customer signs in with the password alone again.
    let signed_in = api
        .customer_auth()
        .await
        .sign_in(auth_pb::SignInRequest {
            email: "lost.phone@example.com".into(),
            password: CUSTOMER_PASSWORD.into(),
            device: "new phone".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(signed_in.session.is_some());
    assert!(signed_in.mfa_challenge.is_none());

    let emails = api.emails().await;
    assert!(
        emails
            .iter()
            .any(|email| email.to == "lost.phone@example.com"
                && email
                    .subject
                    .contains("Support removed two-factor authentication")),
        "{:?}",
        emails
            .iter()
            .map(|email| &email.subject)
            .collect::<Vec<_>>()
    );

    let log = admin
        .list_audit_log(authorized(
            &api.signed_in(AdminRole::SuperAdmin).await.1,
            pb::ListAuditLogRequest {
                action: Some("customer.mfa.remove".into()),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(log.entries.len(), 1);
    let entry = &log.entries[0];
    assert_eq!(
        entry.actor_id.as_deref(),
        Some(agent.id.to_string().as_str())
    );
    assert_eq!(entry.target, format!("customer:{customer_id}"));
    assert_eq!(entry.note.as_deref(), Some(NOTE));
    api.stop().await;
}

#[tokio::test]
async fn moderators_and_super_admins_may_remove_mfa_too() {
    // Arrange
    let api = TestApi::spawn().await;
    let mut admin = api.admin().await;

    for role in [AdminRole::Moderator, AdminRole::SuperAdmin] {
        let (_, token) = api.signed_in(role).await;
        let email = format!("{}@example.com", role.as_db());
        let (customer_id, _) = customer_with_mfa(&api, &email).await;

        // Act
        let removed = admin
            .remove_customer_mfa(authorized(&token, remove(&customer_id, NOTE)))
            .await;

        // Assert
        assert!(removed.is_ok(), "{role}: {removed:?}");
    }
    api.stop().await;
}

#[tokio::test]
async fn refused_removals_change_nothing_and_write_no_audit_row() {
    // Arrange
    let api = TestApi::spawn().await;
    let (_, support) = api.signed_in(AdminRole::CustomerSupport).await;
    let (_, bot) = api.signed_in(AdminRole::SupportBot).await;
    let (customer_id, customer_token) = customer_with_mfa(&api, "careful@example.com").await;
    let (plain_id, _) = api.register_customer("no.mfa@example.com").await;
    let mut admin = api.admin().await;
    let unknown = uuid::Uuid::now_v7().to_string();

    // Act
    let by_bot = admin
        .remove_customer_mfa(authorized(&bot, remove(&customer_id, NOTE)))
        .await;
    let without_note = admin
        .remove_customer_mfa(authorized(&support, remove(&customer_id, "   ")))
        .await;
    let long_note = admin
        .remove_customer_mfa(authorized(
            &support,
            remove(&customer_id, &"x".repeat(1001)),
        ))
        .await;
    let unknown_customer = admin
        .remove_customer_mfa(authorized(&support, remove(&unknown, NOTE)))
        .await;
    let bad_id = admin
        .remove_customer_mfa(authorized(&support, remove("not-an-id", NOTE)))
        .await;
    let without_mfa = admin
        .remove_customer_mfa(authorized(&support, remove(&plain_id, NOTE)))
        .await;

    // Assert
    refused(by_bot, Code::PermissionDenied);
    refused(without_note, Code::InvalidArgument);
    refused(long_note, Code::InvalidArgument);
    refused(unknown_customer, Code::NotFound);
    refused(bad_id, Code::InvalidArgument);
    refused(without_mfa, Code::FailedPrecondition);
    assert!(mfa_enabled(&api, &support, &customer_id).await);
    assert_eq!(
        api.number("SELECT count(*) FROM auth.mfa_recovery_code")
            .await,
        10
    );
    let profile = api
        .customer_account()
        .await
        .get_profile(authorized(&customer_token, auth_pb::GetProfileRequest {}))
        .await;
    assert!(
        profile.is_ok(),
        "the customer's session survived: {profile:?}"
    );
    assert_eq!(removal_rows(&api).await, 0);
    let emails = api.emails().await;
    assert!(
        !emails
            .iter()
            .any(|email| email.subject.contains("Support removed")),
        "no notice for a removal that did not happen"
    );
    api.stop().await;
}
