//! Listing the invitations still open and withdrawing one, so its link stops working.

use helium_manage::AdminRole;
use helium_manage::pb;
use tonic::Code;

use crate::support::{TestApi, authorized, refused, role};

const ACCEPT_PAGE: &str = "https://admin.example.com/accept-invitation";

async fn invite(api: &TestApi, token: &str, email: &str) -> pb::AdminInvitation {
    api.admin()
        .await
        .create_admin_invitation(authorized(
            token,
            pb::CreateAdminInvitationRequest {
                email: email.to_owned(),
                role: role(pb::AdminRole::Moderator),
                accept_url_base: ACCEPT_PAGE.to_owned(),
                product_name: "Example VPN".to_owned(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .invitation
        .unwrap()
}

/// The invitation token emailed to `to`.
async fn token_for(api: &TestApi, to: &str) -> String {
    let emails = api.emails().await;
    let email = emails.iter().rev().find(|email| email.to == to).unwrap();
    let link = email
        .text_body
        .split_whitespace()
        .find(|word| word.starts_with(ACCEPT_PAGE))
        .unwrap();
    link.split_once("?token=").unwrap().1.to_owned()
}

fn accept(token: &str) -> pb::AcceptAdminInvitationRequest {
    pb::AcceptAdminInvitationRequest {
        token: token.to_owned(),
        name: "Invitee".to_owned(),
    }
}

fn revoke(id: &str) -> pb::RevokeAdminInvitationRequest {
    pb::RevokeAdminInvitationRequest {
        invitation_id: id.to_owned(),
    }
}

async fn pending(api: &TestApi, token: &str) -> Vec<String> {
    api.admin()
        .await
        .list_admin_invitations(authorized(
            token,
            pb::ListAdminInvitationsRequest::default(),
        ))
        .await
        .unwrap()
        .into_inner()
        .invitations
        .into_iter()
        .map(|invitation| invitation.email)
        .collect()
}

#[tokio::test]
async fn a_revoked_invitation_leaves_the_list_and_cannot_be_accepted() {
    // Arrange
    let api = TestApi::spawn().await;
    let (owner, token) = api.signed_in(AdminRole::SuperAdmin).await;
    let first = invite(&api, &token, "first@example.com").await;
    invite(&api, &token, "second@example.com").await;
    let listed_before = pending(&api, &token).await;
    let link_token = token_for(&api, "first@example.com").await;
    let admins_before = api
        .number("SELECT count(*) FROM manage.admin_account")
        .await;

    // Act
    api.admin()
        .await
        .revoke_admin_invitation(authorized(&token, revoke(&first.id)))
        .await
        .unwrap();
    let accepted = api
        .auth()
        .await
        .accept_admin_invitation(accept(&link_token))
        .await;

    // Assert
    assert_eq!(listed_before, ["second@example.com", "first@example.com"]);
    assert_eq!(pending(&api, &token).await, ["second@example.com"]);
    let status = refused(accepted, Code::FailedPrecondition);
    assert!(status.message().contains("withdrawn"), "{status:?}");
    assert_eq!(
        api.number("SELECT count(*) FROM manage.admin_account")
            .await,
        admins_before
    );
    let entries: Vec<(Option<uuid::Uuid>, String)> =
        sqlx::query_as("SELECT actor_id, target FROM manage.audit_log WHERE action = $1")
            .bind("admin.invitation.revoke")
            .fetch_all(&api.db.pool)
            .await
            .unwrap();
    assert_eq!(
        entries,
        [(Some(owner.id), format!("invitation:{}", first.id))]
    );
    api.stop().await;
}

#[tokio::test]
async fn accepted_unknown_and_already_revoked_invitations_cannot_be_revoked() {
    // Arrange
    let api = TestApi::spawn().await;
    let (_, token) = api.signed_in(AdminRole::SuperAdmin).await;
    let taken = invite(&api, &token, "taken@example.com").await;
    let link_token = token_for(&api, "taken@example.com").await;
    api.auth()
        .await
        .accept_admin_invitation(accept(&link_token))
        .await
        .unwrap();
    let withdrawn = invite(&api, &token, "withdrawn@example.com").await;
    let mut admin = api.admin().await;
    admin
        .revoke_admin_invitation(authorized(&token, revoke(&withdrawn.id)))
        .await
        .unwrap();

    // Act
    let accepted = admin
        .revoke_admin_invitation(authorized(&token, revoke(&taken.id)))
        .await;
    let twice = admin
        .revoke_admin_invitation(authorized(&token, revoke(&withdrawn.id)))
        .await;
    let unknown = admin
        .revoke_admin_invitation(authorized(
            &token,
            revoke(&uuid::Uuid::now_v7().to_string()),
        ))
        .await;
    let bad_id = admin
        .revoke_admin_invitation(authorized(&token, revoke("nope")))
        .await;

    // Assert: the accepted invitation is neither listed nor revoked, and only the one
    // revocation that happened is logged.
    refused(accepted, Code::FailedPrecondition);
    refused(twice, Code::FailedPrecondition);
    refused(unknown, Code::NotFound);
    refused(bad_id, Code::InvalidArgument);
    assert!(pending(&api, &token).await.is_empty());
    assert_eq!(
        api.number("SELECT count(*) FROM manage.admin_invitation WHERE revoked_at IS NOT NULL")
            .await,
        1
    );
    assert_eq!(
        api.number(
            "SELECT count(*) FROM manage.audit_log WHERE action = 'admin.invitation.revoke'"
        )
        .await,
        1
    );
    api.stop().await;
}

#[tokio::test]
async fn only_super_admins_list_or_revoke_invitations() {
    // Arrange
    let api = TestApi::spawn().await;
    let (_, owner) = api.signed_in(AdminRole::SuperAdmin).await;
    let invitation = invite(&api, &owner, "someone@example.com").await;
    let mut admin = api.admin().await;

    for denied in [
        AdminRole::Moderator,
        AdminRole::CustomerSupport,
        AdminRole::SupportBot,
    ] {
        let (_, token) = api.signed_in(denied).await;

        // Act
        let list = admin
            .list_admin_invitations(authorized(
                &token,
                pb::ListAdminInvitationsRequest::default(),
            ))
            .await;
        let revoked = admin
            .revoke_admin_invitation(authorized(&token, revoke(&invitation.id)))
            .await;

        // Assert
        refused(list, Code::PermissionDenied);
        refused(revoked, Code::PermissionDenied);
    }
    assert_eq!(pending(&api, &owner).await, ["someone@example.com"]);
    api.stop().await;
}
