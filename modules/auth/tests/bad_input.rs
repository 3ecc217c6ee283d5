//! Every customer RPC, called with empty, oversized or unauthenticated input, answers with a
//! status a frontend can act on: never `INTERNAL` or `UNKNOWN`, which would mean the server
//! mistook bad input for its own failure.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use helium_auth::rpc::pb::*;
use helium_framework::probe_rpc;
use helium_framework::testing::probe::{Outcome, server_faults};

use common::*;

const PASSWORD: &str = "long enough pw";

/// Calls every customer RPC with its empty message, carrying `token`. `SignOut` comes last,
/// since with a valid token it ends the session the others use.
async fn probe_every_rpc(harness: &Harness, token: Option<&str>) -> Vec<Outcome> {
    let mut auth = harness.auth.clone();
    let mut account = harness.account.clone();
    let mut outcomes = Vec::new();

    probe_rpc!(
        outcomes,
        auth,
        request_registration,
        RequestRegistrationRequest::default(),
        token
    );
    probe_rpc!(
        outcomes,
        auth,
        complete_registration,
        CompleteRegistrationRequest::default(),
        token
    );
    probe_rpc!(outcomes, auth, sign_in, SignInRequest::default(), token);
    probe_rpc!(
        outcomes,
        auth,
        complete_sign_in,
        CompleteSignInRequest::default(),
        token
    );
    probe_rpc!(
        outcomes,
        auth,
        refresh_session,
        RefreshSessionRequest::default(),
        token
    );
    probe_rpc!(
        outcomes,
        auth,
        request_password_reset,
        RequestPasswordResetRequest::default(),
        token
    );
    let reset = CompletePasswordResetRequest::default();
    probe_rpc!(outcomes, auth, complete_password_reset, reset, token);
    probe_rpc!(
        outcomes,
        auth,
        begin_o_auth,
        BeginOAuthRequest::default(),
        token
    );
    probe_rpc!(
        outcomes,
        auth,
        complete_o_auth,
        CompleteOAuthRequest::default(),
        token
    );
    probe_rpc!(
        outcomes,
        auth,
        confirm_email_change,
        ConfirmEmailChangeRequest::default(),
        token
    );

    probe_rpc!(
        outcomes,
        account,
        get_profile,
        GetProfileRequest::default(),
        token
    );
    probe_rpc!(
        outcomes,
        account,
        list_sessions,
        ListSessionsRequest::default(),
        token
    );
    probe_rpc!(
        outcomes,
        account,
        revoke_session,
        RevokeSessionRequest::default(),
        token
    );
    let enrolment = BeginMfaEnrollmentRequest::default();
    probe_rpc!(outcomes, account, begin_mfa_enrollment, enrolment, token);
    let confirmation = ConfirmMfaEnrollmentRequest::default();
    probe_rpc!(
        outcomes,
        account,
        confirm_mfa_enrollment,
        confirmation,
        token
    );
    probe_rpc!(
        outcomes,
        account,
        disable_mfa,
        DisableMfaRequest::default(),
        token
    );
    probe_rpc!(
        outcomes,
        account,
        list_login_methods,
        ListLoginMethodsRequest::default(),
        token
    );
    probe_rpc!(
        outcomes,
        account,
        begin_link_o_auth,
        BeginLinkOAuthRequest::default(),
        token
    );
    probe_rpc!(
        outcomes,
        account,
        complete_link_o_auth,
        CompleteLinkOAuthRequest::default(),
        token
    );
    probe_rpc!(
        outcomes,
        account,
        unlink_login_method,
        UnlinkLoginMethodRequest::default(),
        token
    );
    probe_rpc!(
        outcomes,
        account,
        reverify,
        ReverifyRequest::default(),
        token
    );
    probe_rpc!(
        outcomes,
        account,
        change_password,
        ChangePasswordRequest::default(),
        token
    );
    probe_rpc!(
        outcomes,
        account,
        request_email_change,
        RequestEmailChangeRequest::default(),
        token
    );
    let regeneration = RegenerateRecoveryCodesRequest::default();
    probe_rpc!(
        outcomes,
        account,
        regenerate_recovery_codes,
        regeneration,
        token
    );
    let others = SignOutOtherSessionsRequest::default();
    probe_rpc!(outcomes, account, sign_out_other_sessions, others, token);
    probe_rpc!(
        outcomes,
        account,
        sign_out,
        SignOutRequest::default(),
        token
    );
    outcomes
}

#[tokio::test]
async fn empty_messages_are_refused_as_the_callers_mistake_with_any_token() {
    // Arrange: a signed-in customer, and tokens that are not theirs to use.
    let mut harness = harness().await;
    let registered = harness.register("empty@example.com", PASSWORD).await;
    let session = registered.session.unwrap();
    let tokens = [
        None,
        Some("not-a-token"),
        Some(session.refresh_token.as_str()),
        Some(session.access_token.as_str()),
    ];

    for token in tokens {
        // Act
        let outcomes = probe_every_rpc(&harness, token).await;

        // Assert
        assert_eq!(outcomes.len(), 26);
        assert_eq!(server_faults(&outcomes), vec![], "with token {token:?}");
    }
    harness.db.drop_database().await;
}

#[tokio::test]
async fn oversized_fields_are_refused_as_the_callers_mistake() {
    // Arrange: a signed-in customer, and 64 KiB where a short value belongs.
    let mut harness = harness().await;
    let registered = harness.register("huge@example.com", PASSWORD).await;
    let session = registered.session.unwrap();
    let huge = "x".repeat(64 * 1024);
    let huge_email = format!("{huge}@example.com");
    let token = Some(session.access_token.as_str());
    let (mut auth, mut account) = (harness.auth.clone(), harness.account.clone());
    let mut outcomes = Vec::new();

    // Act
    let registration = RequestRegistrationRequest {
        email: huge_email.clone(),
        referral_code: Some(huge.clone()),
    };
    probe_rpc!(outcomes, auth, request_registration, registration, None);
    let completion = CompleteRegistrationRequest {
        token: huge.clone(),
        password: huge.clone(),
        device: huge.clone(),
    };
    probe_rpc!(outcomes, auth, complete_registration, completion, None);
    let sign_in = SignInRequest {
        email: "huge@example.com".into(),
        password: huge.clone(),
        device: huge.clone(),
    };
    probe_rpc!(outcomes, auth, sign_in, sign_in, None);
    let refresh = RefreshSessionRequest {
        refresh_token: huge.clone(),
    };
    probe_rpc!(outcomes, auth, refresh_session, refresh, None);
    let oauth = CompleteOAuthRequest {
        provider: huge.clone(),
        state: huge.clone(),
        code: huge.clone(),
        device: huge.clone(),
    };
    probe_rpc!(outcomes, auth, complete_o_auth, oauth, None);
    let revoke = RevokeSessionRequest {
        session_id: huge.clone(),
    };
    probe_rpc!(outcomes, account, revoke_session, revoke, token);
    let unlink = UnlinkLoginMethodRequest {
        method: huge.clone(),
        reverification_token: huge.clone(),
    };
    probe_rpc!(outcomes, account, unlink_login_method, unlink, token);
    let reverify = ReverifyRequest {
        password: huge.clone(),
        mfa_code: Some(huge.clone()),
        oauth: None,
    };
    probe_rpc!(outcomes, account, reverify, reverify, token);
    let email_change = RequestEmailChangeRequest {
        new_email: huge_email,
        reverification_token: huge.clone(),
    };
    probe_rpc!(outcomes, account, request_email_change, email_change, token);

    // Assert: every call refused, none as the server's fault, and the session still works.
    assert!(
        outcomes.iter().all(|(_, code)| code.is_some()),
        "{outcomes:?}"
    );
    assert_eq!(server_faults(&outcomes), vec![]);
    harness.profile(&session.access_token).await.unwrap();
    harness.db.drop_database().await;
}
