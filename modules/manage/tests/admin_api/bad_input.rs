//! Every admin RPC, called with empty, oversized or unauthorized input, answers with a status
//! the admin panel can act on, never `INTERNAL` or `UNKNOWN`, and writes no audit row.

use helium_framework::probe_rpc;
use helium_framework::testing::probe::{Outcome, server_faults};
use helium_manage::AdminRole;
use helium_manage::pb;

use crate::support::TestApi;

/// Calls every admin RPC with its empty message, carrying `token`.
async fn probe_every_rpc(api: &TestApi, token: Option<&str>) -> Vec<Outcome> {
    let mut auth = api.auth().await;
    let mut admin = api.admin().await;
    let mut outcomes = Vec::new();

    probe_rpc!(outcomes, auth, sign_in, pb::SignInRequest::default(), token);
    let rotation = pb::RotateCredentialRequest::default();
    probe_rpc!(outcomes, auth, rotate_credential, rotation, token);
    let acceptance = pb::AcceptAdminInvitationRequest::default();
    probe_rpc!(outcomes, auth, accept_admin_invitation, acceptance, token);

    probe_rpc!(outcomes, admin, get_me, pb::GetMeRequest::default(), token);
    probe_rpc!(
        outcomes,
        admin,
        list_admins,
        pb::ListAdminsRequest::default(),
        token
    );
    probe_rpc!(
        outcomes,
        admin,
        create_admin,
        pb::CreateAdminRequest::default(),
        token
    );
    probe_rpc!(
        outcomes,
        admin,
        delete_admin,
        pb::DeleteAdminRequest::default(),
        token
    );
    let invitation = pb::CreateAdminInvitationRequest::default();
    probe_rpc!(outcomes, admin, create_admin_invitation, invitation, token);
    probe_rpc!(
        outcomes,
        admin,
        list_audit_log,
        pb::ListAuditLogRequest::default(),
        token
    );
    let search = pb::SearchCustomersRequest::default();
    probe_rpc!(outcomes, admin, search_customers, search, token);
    probe_rpc!(
        outcomes,
        admin,
        get_customer,
        pb::GetCustomerRequest::default(),
        token
    );
    probe_rpc!(
        outcomes,
        admin,
        ban_customer,
        pb::BanCustomerRequest::default(),
        token
    );
    probe_rpc!(
        outcomes,
        admin,
        unban_customer,
        pb::UnbanCustomerRequest::default(),
        token
    );
    let mfa_removal = pb::RemoveCustomerMfaRequest::default();
    probe_rpc!(outcomes, admin, remove_customer_mfa, mfa_removal, token);
    let reset = pb::SendCustomerPasswordResetRequest::default();
    probe_rpc!(outcomes, admin, send_customer_password_reset, reset, token);
    let sign_out = pb::EndCustomerSessionsRequest::default();
    probe_rpc!(outcomes, admin, end_customer_sessions, sign_out, token);
    let role_change = pb::ChangeAdminRoleRequest::default();
    probe_rpc!(outcomes, admin, change_admin_role, role_change, token);
    let listing = pb::ListAdminInvitationsRequest::default();
    probe_rpc!(outcomes, admin, list_admin_invitations, listing, token);
    let revocation = pb::RevokeAdminInvitationRequest::default();
    probe_rpc!(outcomes, admin, revoke_admin_invitation, revocation, token);
    outcomes
}

#[tokio::test]
async fn empty_messages_are_refused_as_the_callers_mistake_with_any_token() {
    // Arrange: no token, a malformed one, a customer's, and two admins' at both ends of the
    // permission matrix.
    let api = TestApi::spawn().await;
    let (_, customer) = api.register_customer("probe@example.com").await;
    let (_, support_bot) = api.signed_in(AdminRole::SupportBot).await;
    let (_, super_admin) = api.signed_in(AdminRole::SuperAdmin).await;
    let tokens = [
        None,
        Some("not-a-token"),
        Some(customer.access_token.as_str()),
        Some(support_bot.as_str()),
        Some(super_admin.as_str()),
    ];
    let audit_rows_before = api.number("SELECT count(*) FROM manage.audit_log").await;

    for token in tokens {
        // Act
        let outcomes = probe_every_rpc(&api, token).await;

        // Assert
        assert_eq!(outcomes.len(), 19);
        assert_eq!(server_faults(&outcomes), vec![], "with token {token:?}");
    }
    let audit_rows = api.number("SELECT count(*) FROM manage.audit_log").await;
    assert_eq!(audit_rows, audit_rows_before);
    api.stop().await;
}

#[tokio::test]
async fn oversized_fields_are_refused_as_the_callers_mistake() {
    // Arrange
    let api = TestApi::spawn().await;
    let (_, super_admin) = api.signed_in(AdminRole::SuperAdmin).await;
    let token = Some(super_admin.as_str());
    let audit_rows_before = api.number("SELECT count(*) FROM manage.audit_log").await;
    let huge = "x".repeat(64 * 1024);
    let (mut auth, mut admin) = (api.auth().await, api.admin().await);
    let mut outcomes = Vec::new();

    // Act
    let sign_in = pb::SignInRequest {
        identity: Some(pb::sign_in_request::Identity::Email(huge.clone())),
        credential: huge.clone(),
    };
    probe_rpc!(outcomes, auth, sign_in, sign_in, None);
    let acceptance = pb::AcceptAdminInvitationRequest {
        token: huge.clone(),
        name: huge.clone(),
    };
    probe_rpc!(outcomes, auth, accept_admin_invitation, acceptance, None);
    let creation = pb::CreateAdminRequest {
        name: huge.clone(),
        email: Some(format!("{huge}@example.com")),
        role: pb::AdminRole::Moderator.into(),
        avatar: Some(huge.clone()),
    };
    probe_rpc!(outcomes, admin, create_admin, creation, token);
    let search = pb::SearchCustomersRequest {
        customer_id: Some(huge.clone()),
        email_contains: Some(huge.clone()),
        ..Default::default()
    };
    probe_rpc!(outcomes, admin, search_customers, search, token);
    let ban = pb::BanCustomerRequest {
        customer_id: huge.clone(),
        reason: huge.clone(),
    };
    probe_rpc!(outcomes, admin, ban_customer, ban, token);

    // Assert
    assert!(
        outcomes.iter().all(|(_, code)| code.is_some()),
        "{outcomes:?}"
    );
    assert_eq!(server_faults(&outcomes), vec![]);
    let audit_rows = api.number("SELECT count(*) FROM manage.audit_log").await;
    assert_eq!(audit_rows, audit_rows_before);
    api.stop().await;
}
