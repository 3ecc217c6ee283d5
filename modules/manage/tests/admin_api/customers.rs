//! Customer accounts from the admin side: search, view, ban and unban, with the customers made
//! and signed in through the auth module's own gRPC services on the same server.

use helium_auth::rpc::pb as auth_pb;
use helium_manage::AdminRole;
use helium_manage::pb;
use tonic::Code;

use crate::support::{CUSTOMER_PASSWORD, TestApi, authorized, refused};

fn search(email_contains: Option<&str>, status: pb::CustomerStatus) -> pb::SearchCustomersRequest {
    pb::SearchCustomersRequest {
        email_contains: email_contains.map(str::to_owned),
        status: status.into(),
        ..Default::default()
    }
}

fn emails_of(response: &pb::SearchCustomersResponse) -> Vec<&str> {
    response
        .customers
        .iter()
        .map(|customer| customer.email.as_str())
        .collect()
}

fn ban(customer_id: &str, reason: &str) -> pb::BanCustomerRequest {
    pb::BanCustomerRequest {
        customer_id: customer_id.to_owned(),
        reason: reason.to_owned(),
    }
}

fn unban(customer_id: &str) -> pb::UnbanCustomerRequest {
    pb::UnbanCustomerRequest {
        customer_id: customer_id.to_owned(),
    }
}

fn get(customer_id: &str) -> pb::GetCustomerRequest {
    pb::GetCustomerRequest {
        customer_id: customer_id.to_owned(),
    }
}

fn customer_sign_in(email: &str) -> auth_pb::SignInRequest {
    auth_pb::SignInRequest {
        email: email.to_owned(),
        password: CUSTOMER_PASSWORD.to_owned(),
        device: "laptop".to_owned(),
    }
}

fn profile(access_token: &str) -> tonic::Request<auth_pb::GetProfileRequest> {
    authorized(access_token, auth_pb::GetProfileRequest {})
}

#[tokio::test]
async fn customers_are_found_by_email_fragment_id_and_status_page_by_page() {
    // Arrange
    let api = TestApi::spawn().await;
    let (_, token) = api.signed_in(AdminRole::CustomerSupport).await;
    let (ann, _) = api.register_customer("ann.smith@example.com").await;
    let (bob, _) = api.register_customer("Bob.SMITH@example.org").await;
    let (carol, _) = api.register_customer("carol@example.net").await;
    let mut client = api.admin().await;
    client
        .ban_customer(authorized(&token, ban(&carol, "chargeback fraud")))
        .await
        .unwrap();
    let smiths_page = |page_token: String| {
        authorized(
            &token,
            pb::SearchCustomersRequest {
                email_contains: Some("smith@".into()),
                page_size: 1,
                page_token,
                ..Default::default()
            },
        )
    };

    // Act
    let first = client
        .search_customers(smiths_page(String::new()))
        .await
        .unwrap()
        .into_inner();
    let second = client
        .search_customers(smiths_page(first.next_page_token.clone()))
        .await
        .unwrap()
        .into_inner();
    let by_id = client
        .search_customers(authorized(
            &token,
            pb::SearchCustomersRequest {
                customer_id: Some(ann.clone()),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let banned = client
        .search_customers(authorized(&token, search(None, pb::CustomerStatus::Banned)))
        .await
        .unwrap()
        .into_inner();
    let active = client
        .search_customers(authorized(&token, search(None, pb::CustomerStatus::Active)))
        .await
        .unwrap()
        .into_inner();
    let wildcard = client
        .search_customers(authorized(
            &token,
            search(Some("%"), pb::CustomerStatus::Unspecified),
        ))
        .await
        .unwrap()
        .into_inner();

    // Assert: newest first, in any letter case, one page at a time.
    assert_eq!(emails_of(&first), ["Bob.SMITH@example.org"]);
    assert_eq!(first.customers[0].id, bob);
    assert_eq!(emails_of(&second), ["ann.smith@example.com"]);
    assert!(second.next_page_token.is_empty());
    assert_eq!(emails_of(&by_id), ["ann.smith@example.com"]);
    assert_eq!(emails_of(&banned), ["carol@example.net"]);
    assert_eq!(banned.customers[0].status(), pb::CustomerStatus::Banned);
    assert!(banned.customers[0].banned_at.is_some());
    assert_eq!(
        emails_of(&active),
        ["Bob.SMITH@example.org", "ann.smith@example.com"]
    );
    assert!(active.customers[0].banned_at.is_none());
    assert!(
        wildcard.customers.is_empty(),
        "% matches only itself, not every address"
    );
    api.stop().await;
}

#[tokio::test]
async fn a_search_refuses_bad_ids_cursors_statuses_and_page_sizes() {
    // Arrange
    let api = TestApi::spawn().await;
    let (_, token) = api.signed_in(AdminRole::Moderator).await;
    let mut client = api.admin().await;
    let requests = [
        pb::SearchCustomersRequest {
            customer_id: Some("not-an-id".into()),
            ..Default::default()
        },
        pb::SearchCustomersRequest {
            page_token: "not-a-cursor".into(),
            ..Default::default()
        },
        pb::SearchCustomersRequest {
            status: 42,
            ..Default::default()
        },
        pb::SearchCustomersRequest {
            page_size: 101,
            ..Default::default()
        },
    ];

    for request in requests {
        // Act
        let result = client.search_customers(authorized(&token, request)).await;

        // Assert
        refused(result, Code::InvalidArgument);
    }
    api.stop().await;
}

#[tokio::test]
async fn a_customers_state_shows_login_methods_and_active_sessions() {
    // Arrange
    let api = TestApi::spawn().await;
    let (_, token) = api.signed_in(AdminRole::SupportBot).await;
    let (ann, _) = api.register_customer("ann@example.com").await;
    api.customer_auth()
        .await
        .sign_in(customer_sign_in("ann@example.com"))
        .await
        .unwrap();

    // Act
    let customer = api
        .admin()
        .await
        .get_customer(authorized(&token, get(&ann)))
        .await
        .unwrap()
        .into_inner()
        .customer
        .unwrap();

    // Assert: the newest session first.
    assert_eq!(customer.id, ann);
    assert_eq!(customer.email, "ann@example.com");
    assert!(customer.created_at.is_some());
    assert!(customer.ban.is_none());
    assert!(customer.has_password);
    assert!(!customer.mfa_enabled);
    let devices: Vec<&str> = customer
        .sessions
        .iter()
        .map(|session| session.device.as_str())
        .collect();
    assert_eq!(devices, ["laptop", "test browser"]);
    for session in &customer.sessions {
        assert!(!session.ip_address.is_empty());
        assert!(session.last_used_at.is_some() && session.expires_at.is_some());
    }
    api.stop().await;
}

#[tokio::test]
async fn a_ban_ends_every_session_at_once_and_refuses_sign_in_until_it_is_lifted() {
    // Arrange
    let api = TestApi::spawn().await;
    let (_, token) = api.signed_in(AdminRole::CustomerSupport).await;
    let (ann, registered) = api.register_customer("ann@example.com").await;
    let mut auth = api.customer_auth().await;
    let signed_in = auth
        .sign_in(customer_sign_in("ann@example.com"))
        .await
        .unwrap()
        .into_inner()
        .session
        .unwrap();
    let mut account = api.customer_account().await;
    account
        .get_profile(profile(&signed_in.access_token))
        .await
        .unwrap();
    let mut client = api.admin().await;

    // Act
    let banned = client
        .ban_customer(authorized(&token, ban(&ann, "  chargeback fraud  ")))
        .await
        .unwrap()
        .into_inner();
    let old_token = account.get_profile(profile(&signed_in.access_token)).await;
    let refresh = auth
        .refresh_session(auth_pb::RefreshSessionRequest {
            refresh_token: registered.refresh_token.clone(),
        })
        .await;
    let sign_in_while_banned = auth.sign_in(customer_sign_in("ann@example.com")).await;
    let state = client
        .get_customer(authorized(&token, get(&ann)))
        .await
        .unwrap()
        .into_inner()
        .customer
        .unwrap();
    client
        .unban_customer(authorized(&token, unban(&ann)))
        .await
        .unwrap();
    let sign_in_after = auth.sign_in(customer_sign_in("ann@example.com")).await;
    let state_after = client
        .get_customer(authorized(&token, get(&ann)))
        .await
        .unwrap()
        .into_inner()
        .customer
        .unwrap();

    // Assert: both sessions ended, access tokens included, with no wait for their expiry.
    assert_eq!(banned.sessions_ended, 2);
    assert_eq!(banned.ban.unwrap().reason, "chargeback fraud");
    refused(old_token, Code::Unauthenticated);
    refused(refresh, Code::Unauthenticated);
    let status = refused(sign_in_while_banned, Code::PermissionDenied);
    assert!(status.message().contains("suspended"), "{status:?}");
    let ban_state = state.ban.unwrap();
    assert_eq!(ban_state.reason, "chargeback fraud");
    assert!(ban_state.banned_at.is_some());
    assert!(state.sessions.is_empty());
    assert!(sign_in_after.is_ok(), "{sign_in_after:?}");
    assert!(state_after.ban.is_none());
    assert_eq!(state_after.sessions.len(), 1);
    api.stop().await;
}

#[tokio::test]
async fn a_ban_emails_the_customer_and_ban_and_unban_are_audited() {
    // Arrange
    let api = TestApi::spawn().await;
    let (moderator, token) = api.signed_in(AdminRole::Moderator).await;
    let (_, owner_token) = api.signed_in(AdminRole::SuperAdmin).await;
    let (ann, _) = api.register_customer("ann@example.com").await;
    let mut client = api.admin().await;

    // Act
    client
        .ban_customer(authorized(&token, ban(&ann, "spam")))
        .await
        .unwrap();
    client
        .unban_customer(authorized(&token, unban(&ann)))
        .await
        .unwrap();
    let log = client
        .list_audit_log(authorized(
            &owner_token,
            pb::ListAuditLogRequest {
                target: Some(format!("customer:{ann}")),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();

    // Assert
    let emails = api.emails().await;
    let notice = emails.last().unwrap();
    assert_eq!(notice.to, "ann@example.com");
    assert!(notice.subject.contains("suspended"), "{}", notice.subject);
    let actions: Vec<&str> = log
        .entries
        .iter()
        .map(|entry| entry.action.as_str())
        .collect();
    assert_eq!(actions, ["customer.unban", "customer.ban"]);
    let notes: Vec<Option<&str>> = log
        .entries
        .iter()
        .map(|entry| entry.note.as_deref())
        .collect();
    assert_eq!(
        notes,
        [None, Some("spam")],
        "the reason outlives the ban in the log"
    );
    let moderator_id = moderator.id.to_string();
    for entry in &log.entries {
        assert_eq!(entry.actor_id.as_deref(), Some(moderator_id.as_str()));
        assert_eq!(entry.target, format!("customer:{ann}"));
    }
    api.stop().await;
}

#[tokio::test]
async fn a_support_bot_may_look_customers_up_but_not_ban_or_unban_them() {
    // Arrange
    let api = TestApi::spawn().await;
    let (_, token) = api.signed_in(AdminRole::SupportBot).await;
    let (ann, _) = api.register_customer("ann@example.com").await;
    let mut client = api.admin().await;

    // Act
    let found = client
        .search_customers(authorized(
            &token,
            search(Some("ann"), pb::CustomerStatus::Unspecified),
        ))
        .await;
    let banned = client
        .ban_customer(authorized(&token, ban(&ann, "spam")))
        .await;
    let unbanned = client.unban_customer(authorized(&token, unban(&ann))).await;

    // Assert
    assert_eq!(found.unwrap().into_inner().customers.len(), 1);
    let status = refused(banned, Code::PermissionDenied);
    assert_eq!(
        status.message(),
        "the Support Bot role may not ban customers"
    );
    refused(unbanned, Code::PermissionDenied);
    assert_eq!(
        api.number("SELECT count(*) FROM manage.audit_log WHERE action LIKE 'customer.%'")
            .await,
        0
    );
    api.stop().await;
}

#[tokio::test]
async fn unknown_customers_bad_ids_and_pointless_bans_are_refused_without_an_audit_row() {
    // Arrange
    let api = TestApi::spawn().await;
    let (_, token) = api.signed_in(AdminRole::SuperAdmin).await;
    let (ann, _) = api.register_customer("ann@example.com").await;
    let unknown = uuid::Uuid::now_v7().to_string();
    let mut client = api.admin().await;

    // Act
    let get_unknown = client.get_customer(authorized(&token, get(&unknown))).await;
    let ban_unknown = client
        .ban_customer(authorized(&token, ban(&unknown, "spam")))
        .await;
    let get_bad_id = client.get_customer(authorized(&token, get("42"))).await;
    let ban_bad_id = client
        .ban_customer(authorized(&token, ban("42", "spam")))
        .await;
    let no_reason = client
        .ban_customer(authorized(&token, ban(&ann, "   ")))
        .await;
    let unban_active = client.unban_customer(authorized(&token, unban(&ann))).await;
    client
        .ban_customer(authorized(&token, ban(&ann, "spam")))
        .await
        .unwrap();
    let ban_again = client
        .ban_customer(authorized(&token, ban(&ann, "spam")))
        .await;

    // Assert: only the one ban that happened is in the log.
    let status = refused(get_unknown, Code::NotFound);
    assert!(status.message().contains(&unknown), "{status:?}");
    refused(ban_unknown, Code::NotFound);
    refused(get_bad_id, Code::InvalidArgument);
    refused(ban_bad_id, Code::InvalidArgument);
    refused(no_reason, Code::InvalidArgument);
    refused(unban_active, Code::FailedPrecondition);
    let status = refused(ban_again, Code::FailedPrecondition);
    assert!(status.message().contains("already banned"), "{status:?}");
    assert_eq!(
        api.number("SELECT count(*) FROM manage.audit_log WHERE action LIKE 'customer.%'")
            .await,
        1
    );
    api.stop().await;
}
