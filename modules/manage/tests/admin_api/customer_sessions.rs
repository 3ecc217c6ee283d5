//! Signing a customer out everywhere without a ban: what ends, what stays possible, and who may.

use helium_auth::rpc::pb as auth_pb;
use helium_manage::AdminRole;
use helium_manage::pb;
use tonic::Code;

use crate::support::{CUSTOMER_PASSWORD, TestApi, authorized, refused};

const NOTE: &str = "customer reported a stolen laptop; confirmed the last payment's reference";

fn end(customer_id: &str, note: &str) -> pb::EndCustomerSessionsRequest {
    pb::EndCustomerSessionsRequest {
        customer_id: customer_id.to_owned(),
        verification_note: note.to_owned(),
    }
}

async fn end_rows(api: &TestApi) -> i64 {
    api.number("SELECT count(*) FROM manage.audit_log WHERE action = 'customer.sessions.end'")
        .await
}

#[tokio::test]
async fn every_session_ends_at_once_and_the_customer_may_sign_in_again() {
    // Arrange: a customer signed in on two devices.
    let api = TestApi::spawn().await;
    let (_, agent) = api.signed_in(AdminRole::CustomerSupport).await;
    let address = "stolen.laptop@example.com";
    let (customer_id, laptop) = api.register_customer(address).await;
    let sign_in = auth_pb::SignInRequest {
        email: address.to_owned(),
        password: CUSTOMER_PASSWORD.to_owned(),
        device: "phone".to_owned(),
    };
    let mut customer_auth = api.customer_auth().await;
    let phone = customer_auth.sign_in(sign_in.clone()).await.unwrap();
    let phone = phone.into_inner().session.unwrap();

    // Act
    let ended = api
        .admin()
        .await
        .end_customer_sessions(authorized(&agent, end(&customer_id, NOTE)))
        .await
        .unwrap()
        .into_inner();

    // Assert: both sessions ended, access and refresh tokens alike.
    assert_eq!(ended.sessions_ended, 2);
    let mut account = api.customer_account().await;
    for session in [&laptop, &phone] {
        let profile = account
            .get_profile(authorized(
                &session.access_token,
                auth_pb::GetProfileRequest {},
            ))
            .await;
        refused(profile, Code::Unauthenticated);
        let refresh = auth_pb::RefreshSessionRequest {
            refresh_token: session.refresh_token.clone(),
        };
        refused(
            customer_auth.refresh_session(refresh).await,
            Code::Unauthenticated,
        );
    }
    assert_eq!(end_rows(&api).await, 1);

    // Assert: no ban, so the customer signs in again at once.
    customer_auth.sign_in(sign_in).await.unwrap();
    let state = api
        .admin()
        .await
        .get_customer(authorized(
            &agent,
            pb::GetCustomerRequest {
                customer_id: customer_id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .customer
        .unwrap();
    assert!(state.ban.is_none());
    api.stop().await;
}

#[tokio::test]
async fn a_bot_an_unknown_customer_and_a_missing_note_are_refused_without_an_audit_row() {
    // Arrange
    let api = TestApi::spawn().await;
    let (_, bot) = api.signed_in(AdminRole::SupportBot).await;
    let (_, agent) = api.signed_in(AdminRole::Moderator).await;
    let (customer_id, session) = api.register_customer("kept@example.com").await;
    let unknown = uuid::Uuid::now_v7().to_string();
    let mut admin = api.admin().await;

    // Act
    let by_bot = admin
        .end_customer_sessions(authorized(&bot, end(&customer_id, NOTE)))
        .await;
    let unknown_id = admin
        .end_customer_sessions(authorized(&agent, end(&unknown, NOTE)))
        .await;
    let without_note = admin
        .end_customer_sessions(authorized(&agent, end(&customer_id, "")))
        .await;

    // Assert: refused, and the customer's session still works.
    refused(by_bot, Code::PermissionDenied);
    refused(unknown_id, Code::NotFound);
    refused(without_note, Code::InvalidArgument);
    assert_eq!(end_rows(&api).await, 0);
    api.customer_account()
        .await
        .get_profile(authorized(
            &session.access_token,
            auth_pb::GetProfileRequest {},
        ))
        .await
        .unwrap();
    api.stop().await;
}
