//! Inviting an admin by e-mail, and accepting the invitation exactly once, in time.

use helium_mailer::events::SendEmail;
use helium_manage::AdminRole;
use helium_manage::pb;
use prost::Message as _;
use tonic::Code;

use crate::support::{TestApi, authorized, refused, role, sign_in_by_email};

const ACCEPT_PAGE: &str = "https://admin.example.com/accept-invitation";

/// Sends an invitation for `email` as the super admin signed in with `token`.
async fn invite(api: &TestApi, token: &str, email: &str) -> pb::AdminInvitation {
    api.admin()
        .await
        .create_admin_invitation(authorized(
            token,
            pb::CreateAdminInvitationRequest {
                email: email.to_owned(),
                role: role(pb::AdminRole::CustomerSupport),
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

/// The e-mail jobs written to the outbox, oldest first.
async fn queued_emails(api: &TestApi) -> Vec<SendEmail> {
    let payloads: Vec<Vec<u8>> = sqlx::query_scalar(
        "SELECT payload FROM public.outbox_event WHERE routing_key = 'mailer.email.send'
         ORDER BY id",
    )
    .fetch_all(&api.db.pool)
    .await
    .unwrap();
    payloads
        .iter()
        .map(|payload| SendEmail::decode(payload.as_slice()).unwrap())
        .collect()
}

/// The token of the invitation link in `email`, as the invitee's browser would read it.
fn token_in(email: &SendEmail) -> String {
    let link = email
        .text_body
        .split_whitespace()
        .find(|word| word.starts_with(ACCEPT_PAGE))
        .unwrap();
    link.split_once("?token=").unwrap().1.to_owned()
}

fn accept(token: &str, name: &str) -> pb::AcceptAdminInvitationRequest {
    pb::AcceptAdminInvitationRequest {
        token: token.to_owned(),
        name: name.to_owned(),
    }
}

#[tokio::test]
async fn an_invitation_is_emailed_and_accepting_it_creates_a_signed_in_admin() {
    // Arrange
    let api = TestApi::spawn().await;
    let (owner, token) = api.signed_in(AdminRole::SuperAdmin).await;

    // Act
    let invitation = invite(&api, &token, "new.agent@example.com").await;
    let emails = queued_emails(&api).await;
    let accepted = api
        .auth()
        .await
        .accept_admin_invitation(accept(&token_in(&emails[0]), "New Agent"))
        .await
        .unwrap()
        .into_inner();

    // Assert
    assert_eq!(invitation.email, "new.agent@example.com");
    assert_eq!(invitation.invited_by, owner.id.to_string());
    let lifetime = invitation.expires_at.unwrap().seconds - invitation.created_at.unwrap().seconds;
    assert_eq!(lifetime, 72 * 3600);
    assert_eq!(emails.len(), 1);
    assert_eq!(emails[0].to, "new.agent@example.com");
    assert!(
        emails[0].subject.contains("Example VPN"),
        "{}",
        emails[0].subject
    );
    assert!(emails[0].text_body.contains("Customer Support"));

    let admin = accepted.admin.unwrap();
    assert_eq!(admin.name, "New Agent");
    assert_eq!(admin.email.as_deref(), Some("new.agent@example.com"));
    assert_eq!(admin.role, role(pb::AdminRole::CustomerSupport));
    let me = api
        .admin()
        .await
        .get_me(authorized(&accepted.access_token, pb::GetMeRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(me.admin.unwrap().id, admin.id);
    api.auth()
        .await
        .sign_in(sign_in_by_email(
            "new.agent@example.com",
            &accepted.credential,
        ))
        .await
        .unwrap();
    api.stop().await;
}

#[tokio::test]
async fn an_accepted_invitation_cannot_be_used_again() {
    // Arrange
    let api = TestApi::spawn().await;
    let (_, token) = api.signed_in(AdminRole::SuperAdmin).await;
    invite(&api, &token, "once@example.com").await;
    let invitation_token = token_in(&queued_emails(&api).await[0]);
    let mut auth = api.auth().await;
    auth.accept_admin_invitation(accept(&invitation_token, "First"))
        .await
        .unwrap();

    // Act
    let second = auth
        .accept_admin_invitation(accept(&invitation_token, "Second"))
        .await;

    // Assert
    let status = refused(second, Code::AlreadyExists);
    assert!(
        status.message().contains("already been accepted"),
        "{status:?}"
    );
    assert_eq!(
        api.number("SELECT count(*) FROM manage.admin_account WHERE email = 'once@example.com'")
            .await,
        1
    );
    api.stop().await;
}

#[tokio::test]
async fn an_expired_or_unknown_invitation_is_refused_with_its_own_status() {
    // Arrange
    let api = TestApi::spawn().await;
    let (_, token) = api.signed_in(AdminRole::SuperAdmin).await;
    invite(&api, &token, "late@example.com").await;
    let invitation_token = token_in(&queued_emails(&api).await[0]);
    // Four days pass.
    sqlx::query(
        "UPDATE manage.admin_invitation
         SET created_at = created_at - interval '4 days',
             expires_at = expires_at - interval '4 days'",
    )
    .execute(&api.db.pool)
    .await
    .unwrap();
    let mut auth = api.auth().await;

    // Act
    let expired = auth
        .accept_admin_invitation(accept(&invitation_token, "Late"))
        .await;
    let unknown = auth
        .accept_admin_invitation(accept("no-such-token", "Stranger"))
        .await;
    let nameless = auth
        .accept_admin_invitation(accept(&invitation_token, "  "))
        .await;

    // Assert
    let status = refused(expired, Code::FailedPrecondition);
    assert!(status.message().contains("expired"), "{status:?}");
    refused(unknown, Code::NotFound);
    refused(nameless, Code::InvalidArgument);
    assert_eq!(
        api.number("SELECT count(*) FROM manage.admin_account WHERE email = 'late@example.com'")
            .await,
        0
    );
    api.stop().await;
}

// Several threads, so that the two acceptances really run at the same time on the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_simultaneous_acceptances_of_one_invitation_let_exactly_one_through() {
    // Arrange
    let api = TestApi::spawn().await;
    let (_, token) = api.signed_in(AdminRole::SuperAdmin).await;
    let (mut first, mut second) = (api.auth().await, api.auth().await);
    // A few rounds, each with its own invitation, give the race more than one chance to show.
    for round in 0..5 {
        let email = format!("race-{round}@example.com");
        invite(&api, &token, &email).await;
        let invitation_token = token_in(queued_emails(&api).await.last().unwrap());

        // Act
        let (one, other) = tokio::join!(
            first.accept_admin_invitation(accept(&invitation_token, "One")),
            second.accept_admin_invitation(accept(&invitation_token, "Other")),
        );

        // Assert
        let outcomes = [one.map(drop), other.map(drop)];
        let successes = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
        assert_eq!(successes, 1, "{outcomes:?}");
        let loser = outcomes.into_iter().find(Result::is_err).unwrap();
        refused(loser, Code::AlreadyExists);
    }
    assert_eq!(
        api.number("SELECT count(*) FROM manage.admin_account WHERE email LIKE 'race-%'")
            .await,
        5
    );
    assert_eq!(
        api.number(
            "SELECT count(*) FROM manage.audit_log WHERE action = 'admin.invitation.accept'"
        )
        .await,
        5
    );
    api.stop().await;
}

#[tokio::test]
async fn an_invitation_is_refused_for_a_taken_address_or_a_bad_link() {
    // Arrange
    let api = TestApi::spawn().await;
    let (owner, token) = api.signed_in(AdminRole::SuperAdmin).await;
    let mut client = api.admin().await;
    let request = |email: &str, accept_url_base: &str| {
        authorized(
            &token,
            pb::CreateAdminInvitationRequest {
                email: email.to_owned(),
                role: role(pb::AdminRole::Moderator),
                accept_url_base: accept_url_base.to_owned(),
                product_name: "Example VPN".to_owned(),
            },
        )
    };

    // Act
    let taken = client
        .create_admin_invitation(request(&owner.email.to_uppercase(), ACCEPT_PAGE))
        .await;
    let bad_link = client
        .create_admin_invitation(request("someone@example.com", "javascript:alert(1)"))
        .await;
    let bad_email = client
        .create_admin_invitation(request("not-an-address", ACCEPT_PAGE))
        .await;

    // Assert
    refused(taken, Code::AlreadyExists);
    refused(bad_link, Code::InvalidArgument);
    refused(bad_email, Code::InvalidArgument);
    assert!(queued_emails(&api).await.is_empty());
    api.stop().await;
}
