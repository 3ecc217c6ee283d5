//! Changing an admin's role: super admins only, never one's own, never leaving the platform
//! without a super admin, even when two demotions race.

use helium_manage::AdminRole;
use helium_manage::pb;
use tonic::Code;

use crate::support::{TestApi, authorized, refused, role};

fn change(admin_id: impl ToString, new_role: pb::AdminRole) -> pb::ChangeAdminRoleRequest {
    pb::ChangeAdminRoleRequest {
        admin_id: admin_id.to_string(),
        role: role(new_role),
    }
}

async fn role_changes_logged(api: &TestApi) -> i64 {
    api.number("SELECT count(*) FROM manage.audit_log WHERE action = 'admin.role.change'")
        .await
}

async fn stored_role(api: &TestApi, id: uuid::Uuid) -> String {
    sqlx::query_scalar("SELECT role FROM manage.admin_account WHERE id = $1")
        .bind(id)
        .fetch_one(&api.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_super_admin_changes_another_admins_role_with_effect_from_the_next_call() {
    // Arrange
    let api = TestApi::spawn().await;
    let (owner, token) = api.signed_in(AdminRole::SuperAdmin).await;
    let (agent, agent_token) = api.signed_in(AdminRole::CustomerSupport).await;
    let mut admin = api.admin().await;

    // Act
    let changed = admin
        .change_admin_role(authorized(
            &token,
            change(agent.id, pb::AdminRole::SuperAdmin),
        ))
        .await
        .unwrap()
        .into_inner();
    let now_allowed = admin
        .list_admins(authorized(&agent_token, pb::ListAdminsRequest::default()))
        .await;

    // Assert
    assert_eq!(changed.admin.unwrap().role, role(pb::AdminRole::SuperAdmin));
    assert!(
        now_allowed.is_ok(),
        "the agent's existing token carries the new role"
    );
    let entries: Vec<(Option<uuid::Uuid>, String, Option<String>)> =
        sqlx::query_as("SELECT actor_id, target, note FROM manage.audit_log WHERE action = $1")
            .bind("admin.role.change")
            .fetch_all(&api.db.pool)
            .await
            .unwrap();
    let from_to = Some("customer_support -> super_admin".to_owned());
    assert_eq!(
        entries,
        [(Some(owner.id), format!("admin:{}", agent.id), from_to)]
    );
    api.stop().await;
}

#[tokio::test]
async fn pointless_or_forbidden_role_changes_are_refused_and_change_nothing() {
    // Arrange
    let api = TestApi::spawn().await;
    let (owner, token) = api.signed_in(AdminRole::SuperAdmin).await;
    let (moderator, moderator_token) = api.signed_in(AdminRole::Moderator).await;
    let mut admin = api.admin().await;
    let unknown = uuid::Uuid::now_v7();

    // Act
    let own = admin
        .change_admin_role(authorized(
            &token,
            change(owner.id, pb::AdminRole::Moderator),
        ))
        .await;
    let same = admin
        .change_admin_role(authorized(
            &token,
            change(moderator.id, pb::AdminRole::Moderator),
        ))
        .await;
    let nobody = admin
        .change_admin_role(authorized(
            &token,
            change(unknown, pb::AdminRole::Moderator),
        ))
        .await;
    let no_role = admin
        .change_admin_role(authorized(
            &token,
            change(moderator.id, pb::AdminRole::Unspecified),
        ))
        .await;
    let not_super = admin
        .change_admin_role(authorized(
            &moderator_token,
            change(moderator.id, pb::AdminRole::SuperAdmin),
        ))
        .await;

    // Assert
    let own = refused(own, Code::FailedPrecondition);
    assert!(own.message().contains("your own role"), "{own:?}");
    refused(same, Code::FailedPrecondition);
    refused(nobody, Code::NotFound);
    refused(no_role, Code::InvalidArgument);
    refused(not_super, Code::PermissionDenied);
    assert_eq!(stored_role(&api, owner.id).await, "super_admin");
    assert_eq!(stored_role(&api, moderator.id).await, "moderator");
    assert_eq!(role_changes_logged(&api).await, 0);
    api.stop().await;
}

#[tokio::test]
async fn two_racing_demotions_of_the_last_two_super_admins_leave_one() {
    // Several rounds, each on a fresh deployment with exactly two super admins who demote each
    // other at the same moment.
    for _ in 0..3 {
        // Arrange
        let api = TestApi::spawn().await;
        let (first, first_token) = api.signed_in(AdminRole::SuperAdmin).await;
        let (second, second_token) = api.signed_in(AdminRole::SuperAdmin).await;
        let mut first_client = api.admin().await;
        let mut second_client = api.admin().await;

        // Act
        let (by_first, by_second) = tokio::join!(
            first_client.change_admin_role(authorized(
                &first_token,
                change(second.id, pb::AdminRole::Moderator)
            )),
            second_client.change_admin_role(authorized(
                &second_token,
                change(first.id, pb::AdminRole::Moderator)
            )),
        );

        // Assert: one demotion went through; the other was refused, either at the last-super-
        // admin check or, if it started after the first committed, because its caller is no
        // longer a super admin.
        let outcomes = [by_first.is_ok(), by_second.is_ok()];
        assert_eq!(outcomes.iter().filter(|ok| **ok).count(), 1, "{outcomes:?}");
        let loser = if by_first.is_ok() {
            by_second
        } else {
            by_first
        };
        let status = loser.unwrap_err();
        assert!(
            matches!(
                status.code(),
                Code::FailedPrecondition | Code::PermissionDenied
            ),
            "{status:?}"
        );
        let super_admins = api
            .number("SELECT count(*) FROM manage.admin_account WHERE role = 'super_admin'")
            .await;
        assert_eq!(super_admins, 1);
        assert_eq!(role_changes_logged(&api).await, 1);
        api.stop().await;
    }
}
