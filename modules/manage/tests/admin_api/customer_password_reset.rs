//! Sending a customer a password-reset link during a verified recovery: who may, that the link
//! reaches only the customer and works like their own, and that a refused attempt sends
//! nothing.

use helium_auth::rpc::pb as auth_pb;
use helium_manage::AdminRole;
use helium_manage::pb;
use tonic::Code;

use crate::support::{CUSTOMER_PASSWORD, TestApi, authorized, refused};

const NOTE: &str = "phone call; confirmed the last payment's reference and the sign-up date";
const NEW_PASSWORD: &str = "a brand new passphrase";

fn send(customer_id: &str, note: &str) -> pb::SendCustomerPasswordResetRequest {
    pb::SendCustomerPasswordResetRequest {
        customer_id: customer_id.to_owned(),
        verification_note: note.to_owned(),
    }
}

async fn reset_emails_to(api: &TestApi, address: &str) -> usize {
    api.emails()
        .await
        .iter()
        .filter(|email| email.to == address && email.subject.contains("Reset"))
        .count()
}

async fn send_rows(api: &TestApi) -> i64 {
    let sql = "SELECT count(*) FROM manage.audit_log WHERE action = 'customer.password_reset.send'";
    api.number(sql).await
}

#[tokio::test]
async fn support_sends_the_customer_a_link_that_resets_the_password_and_ends_every_session() {
    // Arrange
    let api = TestApi::spawn().await;
    let (agent, token) = api.signed_in(AdminRole::CustomerSupport).await;
    let address = "forgot@example.com";
    let (customer_id, session) = api.register_customer(address).await;
    let mut admin = api.admin().await;

    // Act
    admin
        .send_customer_password_reset(authorized(&token, send(&customer_id, NOTE)))
        .await
        .unwrap();

    // Assert: the customer got the usual reset email, and the audit log says who and why.
    assert_eq!(reset_emails_to(&api, address).await, 1);
    let (actor_id, note): (uuid::Uuid, String) = sqlx::query_as(
        "SELECT actor_id, note FROM manage.audit_log
         WHERE action = 'customer.password_reset.send' AND target = $1",
    )
    .bind(format!("customer:{customer_id}"))
    .fetch_one(&api.db.pool)
    .await
    .unwrap();
    assert_eq!(actor_id, agent.id);
    assert_eq!(note, NOTE);

    // Assert: the link works as the customer's own would, ending the old session.
    let link_token = api.emailed_token(address).await;
    let mut customer_auth = api.customer_auth().await;
    customer_auth
        .complete_password_reset(auth_pb::CompletePasswordResetRequest {
            token: link_token,
            new_password: NEW_PASSWORD.to_owned(),
        })
        .await
        .unwrap();
    let old_session = api
        .customer_account()
        .await
        .get_profile(authorized(
            &session.access_token,
            auth_pb::GetProfileRequest {},
        ))
        .await;
    refused(old_session, Code::Unauthenticated);
    let old_password = customer_auth
        .sign_in(auth_pb::SignInRequest {
            email: address.to_owned(),
            password: CUSTOMER_PASSWORD.to_owned(),
            device: "phone".to_owned(),
        })
        .await;
    refused(old_password, Code::Unauthenticated);
    customer_auth
        .sign_in(auth_pb::SignInRequest {
            email: address.to_owned(),
            password: NEW_PASSWORD.to_owned(),
            device: "phone".to_owned(),
        })
        .await
        .unwrap();
    api.stop().await;
}

#[tokio::test]
async fn refused_sends_email_nobody_and_rule_refusals_write_no_audit_row() {
    // Arrange: a support bot, a support agent, an active and a banned customer.
    let api = TestApi::spawn().await;
    let (_, bot) = api.signed_in(AdminRole::SupportBot).await;
    let (_, agent) = api.signed_in(AdminRole::CustomerSupport).await;
    let (active_id, _) = api.register_customer("active@example.com").await;
    let (banned_id, _) = api.register_customer("banned@example.com").await;
    let ban = pb::BanCustomerRequest {
        customer_id: banned_id.clone(),
        reason: "chargeback fraud".to_owned(),
    };
    let mut admin = api.admin().await;
    admin.ban_customer(authorized(&agent, ban)).await.unwrap();
    let unknown = uuid::Uuid::now_v7().to_string();

    // Act
    let by_bot = admin
        .send_customer_password_reset(authorized(&bot, send(&active_id, NOTE)))
        .await;
    let without_note = admin
        .send_customer_password_reset(authorized(&agent, send(&active_id, "  ")))
        .await;
    let malformed_id = admin
        .send_customer_password_reset(authorized(&agent, send("customer-7", NOTE)))
        .await;
    let unknown_id = admin
        .send_customer_password_reset(authorized(&agent, send(&unknown, NOTE)))
        .await;
    let banned = admin
        .send_customer_password_reset(authorized(&agent, send(&banned_id, NOTE)))
        .await;

    // Assert
    refused(by_bot, Code::PermissionDenied);
    refused(without_note, Code::InvalidArgument);
    refused(malformed_id, Code::InvalidArgument);
    refused(unknown_id, Code::NotFound);
    let banned = refused(banned, Code::FailedPrecondition);
    assert!(banned.message().contains("lift the ban"), "{banned:?}");
    assert_eq!(reset_emails_to(&api, "active@example.com").await, 0);
    assert_eq!(reset_emails_to(&api, "banned@example.com").await, 0);
    assert_eq!(send_rows(&api).await, 0);
    api.stop().await;
}

#[tokio::test]
async fn a_second_link_waits_for_the_resend_interval_the_customer_shares() {
    // Arrange: the customer has just asked for a reset themselves.
    let api = TestApi::spawn().await;
    let (_, agent) = api.signed_in(AdminRole::Moderator).await;
    let address = "impatient@example.com";
    let (customer_id, _) = api.register_customer(address).await;
    api.customer_auth()
        .await
        .request_password_reset(auth_pb::RequestPasswordResetRequest {
            email: address.to_owned(),
        })
        .await
        .unwrap();

    // Act
    let again = api
        .admin()
        .await
        .send_customer_password_reset(authorized(&agent, send(&customer_id, NOTE)))
        .await;

    // Assert: one link only, and the refusal says how long to wait.
    let waiting = refused(again, Code::ResourceExhausted);
    assert!(waiting.metadata().get("retry-after").is_some());
    assert_eq!(reset_emails_to(&api, address).await, 1);
    api.stop().await;
}
