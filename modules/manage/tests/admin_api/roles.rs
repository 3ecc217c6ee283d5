//! The permission matrix, enforced on every admin call.

use helium_manage::AdminRole;
use helium_manage::pb;
use tonic::Code;

use crate::support::{TestApi, authorized, refused, role, sign_in_by_email, sign_in_by_id};

#[tokio::test]
async fn every_role_but_super_admin_is_refused_admin_management_and_the_audit_log() {
    // Arrange
    let api = TestApi::spawn().await;
    let target = api.create_admin(AdminRole::Moderator).await;
    let mut client = api.admin().await;

    for denied_role in [
        AdminRole::Moderator,
        AdminRole::CustomerSupport,
        AdminRole::SupportBot,
    ] {
        let (_, token) = api.signed_in(denied_role).await;

        // Act
        let list = client
            .list_admins(authorized(&token, pb::ListAdminsRequest::default()))
            .await;
        let create = client
            .create_admin(authorized(
                &token,
                pb::CreateAdminRequest {
                    name: "Intruder".into(),
                    role: role(pb::AdminRole::SuperAdmin),
                    email: None,
                    avatar: None,
                },
            ))
            .await;
        let delete = client
            .delete_admin(authorized(
                &token,
                pb::DeleteAdminRequest {
                    admin_id: target.id.to_string(),
                },
            ))
            .await;
        let invite = client
            .create_admin_invitation(authorized(
                &token,
                pb::CreateAdminInvitationRequest {
                    email: "friend@example.com".into(),
                    role: role(pb::AdminRole::SuperAdmin),
                    accept_url_base: "https://admin.example.com/accept".into(),
                    product_name: "Example VPN".into(),
                },
            ))
            .await;
        let audit = client
            .list_audit_log(authorized(&token, pb::ListAuditLogRequest::default()))
            .await;
        let me = client.get_me(authorized(&token, pb::GetMeRequest {})).await;

        // Assert
        for result in [
            list.map(drop),
            create.map(drop),
            delete.map(drop),
            invite.map(drop),
            audit.map(drop),
        ] {
            let status = refused(result, Code::PermissionDenied);
            assert!(
                status.message().contains(denied_role.display_name()),
                "{status:?}"
            );
        }
        assert_eq!(
            me.unwrap().into_inner().admin.unwrap().role,
            role_of(denied_role)
        );
    }
    // The only rows are the operator's creations of the test's admins.
    assert_eq!(
        api.number("SELECT count(*) FROM manage.audit_log WHERE actor_id IS NOT NULL")
            .await,
        0,
        "a refused call wrote something"
    );
    assert_eq!(
        api.number("SELECT count(*) FROM manage.admin_invitation")
            .await,
        0
    );
    api.stop().await;
}

#[tokio::test]
async fn a_support_bot_cannot_rotate_even_its_own_credential() {
    // Arrange
    let api = TestApi::spawn().await;
    let bot = api.create_admin(AdminRole::SupportBot).await;

    // Act
    let rotation = api
        .auth()
        .await
        .rotate_credential(pb::RotateCredentialRequest {
            identity: Some(pb::rotate_credential_request::Identity::AdminId(
                bot.id.to_string(),
            )),
            credential: bot.credential.clone(),
        })
        .await;

    // Assert
    refused(rotation, Code::PermissionDenied);
    api.auth()
        .await
        .sign_in(sign_in_by_id(bot.id, &bot.credential))
        .await
        .unwrap();
    assert_eq!(
        api.number("SELECT count(*) FROM manage.audit_log WHERE action <> 'admin.create'")
            .await,
        0
    );
    api.stop().await;
}

#[tokio::test]
async fn a_role_change_applies_to_tokens_already_issued() {
    // Arrange
    let api = TestApi::spawn().await;
    let (admin, token) = api.signed_in(AdminRole::SuperAdmin).await;
    let mut client = api.admin().await;
    client
        .list_admins(authorized(&token, pb::ListAdminsRequest::default()))
        .await
        .unwrap();

    // Act: no API changes roles yet, so the test demotes the admin in the table.
    sqlx::query("UPDATE manage.admin_account SET role = 'support_bot' WHERE id = $1")
        .bind(admin.id)
        .execute(&api.db.pool)
        .await
        .unwrap();

    // Assert
    let after = client
        .list_admins(authorized(&token, pb::ListAdminsRequest::default()))
        .await;
    refused(after, Code::PermissionDenied);
    api.stop().await;
}

#[tokio::test]
async fn a_super_admin_creates_lists_and_deletes_admins() {
    // Arrange
    let api = TestApi::spawn().await;
    let (owner, token) = api.signed_in(AdminRole::SuperAdmin).await;
    let mut client = api.admin().await;

    // Act
    let created = client
        .create_admin(authorized(
            &token,
            pb::CreateAdminRequest {
                name: "Ticket Bot".into(),
                role: role(pb::AdminRole::SupportBot),
                email: Some("bot@example.com".into()),
                avatar: None,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let bot = created.admin.unwrap();
    let bot_signs_in = api
        .auth()
        .await
        .sign_in(sign_in_by_email("bot@example.com", &created.credential))
        .await;
    let listed = client
        .list_admins(authorized(
            &token,
            pb::ListAdminsRequest {
                page_size: 1,
                offset: 1,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let too_many = client
        .list_admins(authorized(
            &token,
            pb::ListAdminsRequest {
                page_size: 1001,
                offset: 0,
            },
        ))
        .await;
    let unspecified_role = client
        .create_admin(authorized(
            &token,
            pb::CreateAdminRequest {
                name: "Nobody".into(),
                role: 0,
                email: None,
                avatar: None,
            },
        ))
        .await;
    let duplicate = client
        .create_admin(authorized(
            &token,
            pb::CreateAdminRequest {
                name: "Bot Again".into(),
                role: role(pb::AdminRole::SupportBot),
                email: Some("BOT@example.com".into()),
                avatar: None,
            },
        ))
        .await;
    let delete_self = client
        .delete_admin(authorized(
            &token,
            pb::DeleteAdminRequest {
                admin_id: owner.id.to_string(),
            },
        ))
        .await;
    client
        .delete_admin(authorized(
            &token,
            pb::DeleteAdminRequest {
                admin_id: bot.id.clone(),
            },
        ))
        .await
        .unwrap();
    let delete_again = client
        .delete_admin(authorized(
            &token,
            pb::DeleteAdminRequest { admin_id: bot.id },
        ))
        .await;

    // Assert
    assert_eq!(created.credential.len(), 43);
    assert!(bot_signs_in.is_ok(), "{bot_signs_in:?}");
    assert_eq!(listed.admins.len(), 1);
    assert_eq!(listed.admins[0].name, "Ticket Bot");
    refused(too_many, Code::InvalidArgument);
    refused(unspecified_role, Code::InvalidArgument);
    refused(duplicate, Code::AlreadyExists);
    refused(delete_self, Code::FailedPrecondition);
    refused(delete_again, Code::NotFound);
    api.stop().await;
}

fn role_of(admin_role: AdminRole) -> i32 {
    match admin_role {
        AdminRole::SuperAdmin => role(pb::AdminRole::SuperAdmin),
        AdminRole::Moderator => role(pb::AdminRole::Moderator),
        AdminRole::CustomerSupport => role(pb::AdminRole::CustomerSupport),
        AdminRole::SupportBot => role(pb::AdminRole::SupportBot),
    }
}
