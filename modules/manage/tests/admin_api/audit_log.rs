//! The audit log: one row per admin write, with who, what, to what, when and from where.

use helium_manage::AdminRole;
use helium_manage::pb;
use tonic::{Code, Request};

use crate::support::{TestApi, authorized, refused, role};

/// `message` authorized with `token`, claiming to be relayed by a proxy for `203.0.113.9`.
/// Without `TRUST_FORWARDED_FOR=true` (the default, and the tests' setting) the claim is not
/// believed: a direct client could write any address there.
fn forwarded<T>(token: &str, message: T) -> Request<T> {
    let mut request = authorized(token, message);
    request
        .metadata_mut()
        .insert("x-forwarded-for", "203.0.113.9, 10.0.0.1".parse().unwrap());
    request
}

fn create(name: &str) -> pb::CreateAdminRequest {
    pb::CreateAdminRequest {
        name: name.to_owned(),
        role: role(pb::AdminRole::Moderator),
        email: None,
        avatar: None,
    }
}

#[tokio::test]
async fn every_admin_write_records_its_actor_action_target_and_source() {
    // Arrange
    let api = TestApi::spawn().await;
    let (owner, token) = api.signed_in(AdminRole::SuperAdmin).await;
    let mut client = api.admin().await;

    // Act
    let created = client
        .create_admin(forwarded(&token, create("Proxied")))
        .await
        .unwrap()
        .into_inner()
        .admin
        .unwrap();
    client
        .delete_admin(authorized(
            &token,
            pb::DeleteAdminRequest {
                admin_id: created.id.clone(),
            },
        ))
        .await
        .unwrap();
    let invitation = client
        .create_admin_invitation(authorized(
            &token,
            pb::CreateAdminInvitationRequest {
                email: "invitee@example.com".into(),
                role: role(pb::AdminRole::Moderator),
                accept_url_base: "https://admin.example.com/accept".into(),
                product_name: "Example VPN".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .invitation
        .unwrap();
    let log = client
        .list_audit_log(authorized(
            &token,
            pb::ListAuditLogRequest {
                actor_id: Some(owner.id.to_string()),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();

    // Assert: newest first.
    let summary: Vec<(&str, &str)> = log
        .entries
        .iter()
        .map(|entry| (entry.action.as_str(), entry.target.as_str()))
        .collect();
    let invitation_target = format!("invitation:{}", invitation.id);
    let admin_target = format!("admin:{}", created.id);
    assert_eq!(
        summary,
        [
            ("admin.invitation.create", invitation_target.as_str()),
            ("admin.delete", admin_target.as_str()),
            ("admin.create", admin_target.as_str()),
        ]
    );
    let owner_id = owner.id.to_string();
    for entry in &log.entries {
        assert_eq!(entry.actor_id.as_deref(), Some(owner_id.as_str()));
        assert!(entry.created_at.is_some());
        let peer = entry.peer_address.as_deref().unwrap();
        assert!(peer.starts_with("127.0.0.1:"), "{peer}");
    }
    assert_eq!(
        log.entries[2].source_address.as_deref(),
        Some("127.0.0.1"),
        "an untrusted x-forwarded-for is ignored"
    );
    assert_eq!(log.entries[1].source_address.as_deref(), Some("127.0.0.1"));
    assert!(log.next_page_token.is_empty());
    api.stop().await;
}

#[tokio::test]
async fn the_audit_log_is_filtered_and_paged_newest_first() {
    // Arrange
    let api = TestApi::spawn().await;
    let (_, token) = api.signed_in(AdminRole::SuperAdmin).await;
    let mut client = api.admin().await;
    for index in 0..5 {
        client
            .create_admin(authorized(&token, create(&format!("Admin {index}"))))
            .await
            .unwrap();
    }
    let page = |page_token: String| {
        authorized(
            &token,
            pb::ListAuditLogRequest {
                action: Some("admin.create".into()),
                page_size: 2,
                page_token,
                ..Default::default()
            },
        )
    };

    // Act
    let first = client
        .list_audit_log(page(String::new()))
        .await
        .unwrap()
        .into_inner();
    let second = client
        .list_audit_log(page(first.next_page_token.clone()))
        .await
        .unwrap()
        .into_inner();
    let third = client
        .list_audit_log(page(second.next_page_token.clone()))
        .await
        .unwrap()
        .into_inner();
    let in_the_future = client
        .list_audit_log(authorized(
            &token,
            pb::ListAuditLogRequest {
                since: Some(prost_types::Timestamp {
                    seconds: chrono::Utc::now().timestamp() + 3600,
                    nanos: 0,
                }),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let other_action = client
        .list_audit_log(authorized(
            &token,
            pb::ListAuditLogRequest {
                action: Some("admin.delete".into()),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let bad_cursor = client.list_audit_log(page("not-a-cursor".into())).await;

    // Assert
    let ids: Vec<&str> = [&first, &second, &third]
        .iter()
        .flat_map(|page| page.entries.iter().map(|entry| entry.id.as_str()))
        .collect();
    // The operator's creation of the super admin is an `admin.create` too: six in all.
    assert_eq!(ids.len(), 6);
    let mut newest_first = ids.clone();
    newest_first.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(ids, newest_first);
    assert!(!first.next_page_token.is_empty() && !second.next_page_token.is_empty());
    assert!(third.next_page_token.is_empty());
    assert_eq!(third.entries.last().unwrap().actor_id, None);
    assert!(in_the_future.entries.is_empty());
    assert!(other_action.entries.is_empty());
    refused(bad_cursor, Code::InvalidArgument);
    api.stop().await;
}
