//! Sign-in with OAuth providers and the account's login methods, end to end through the gRPC
//! API against a local OAuth 2.0 provider that speaks the authorization-code grant with PKCE
//! and answers in Google's, Microsoft's, GitHub's and Discord's own profile shapes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use helium_auth::config::{AuthConfig, OAuthProviderConfig};
use helium_auth::rpc::pb::*;
use helium_framework::config::{ModuleConfig, Seconds};
use helium_framework::testing::oauth::{
    ConsentRedirect, FakeClient, FakeOAuthServer, FakeProvider, FakeUser,
};
use helium_framework::tokens::secret_hash;
use redis::AsyncCommands;
use tonic::{Code, Status};
use totp_rs::{Builder, Secret};

use common::*;

const PASSWORD: &str = "long enough pw";
const REDIRECT_URI: &str = "https://app.test/oauth/callback";

fn client_of(provider: FakeProvider) -> FakeClient {
    FakeClient {
        client_id: format!("{}-client-id", provider.name()),
        client_secret: format!("{}-client-secret", provider.name()),
        redirect_uri: REDIRECT_URI.to_owned(),
    }
}

/// A harness whose four providers all point at one fake provider.
struct OAuth {
    harness: Harness,
    fake: FakeOAuthServer,
}

async fn oauth_with(adjust: impl FnOnce(&mut AuthConfig)) -> OAuth {
    let fake = FakeOAuthServer::start().await;
    let mut providers = Vec::new();
    for provider in FakeProvider::ALL {
        let client = client_of(provider);
        fake.register_client(provider, client.clone());
        let endpoints = fake.endpoints(provider);
        providers.push(OAuthProviderConfig {
            name: provider.name().to_owned(),
            client_id: client.client_id,
            client_secret: client.client_secret.into(),
            redirect_uri: client.redirect_uri,
            authorization_url: Some(endpoints.authorization_url),
            token_url: Some(endpoints.token_url),
            userinfo_url: Some(endpoints.userinfo_url),
        });
    }
    let harness = harness_with(|config| {
        config.oauth_providers.providers = providers;
        adjust(config);
    })
    .await;
    OAuth { harness, fake }
}

async fn oauth() -> OAuth {
    oauth_with(|_| {}).await
}

impl OAuth {
    async fn begin(&mut self, provider: FakeProvider) -> BeginOAuthResponse {
        let request = BeginOAuthRequest {
            provider: provider.name().into(),
            purpose: OAuthFlowPurpose::OauthFlowPurposeSignIn.into(),
        };
        self.harness
            .auth
            .begin_o_auth(request)
            .await
            .unwrap()
            .into_inner()
    }

    async fn complete(
        &mut self,
        provider: FakeProvider,
        redirect: &ConsentRedirect,
    ) -> Result<CompleteOAuthResponse, Status> {
        let request = CompleteOAuthRequest {
            provider: provider.name().into(),
            state: redirect.state.clone(),
            code: redirect.code.clone(),
            device: "phone".into(),
        };
        Ok(self
            .harness
            .auth
            .complete_o_auth(request)
            .await?
            .into_inner())
    }

    /// The whole sign-in: begin, consent as `user` at the provider, complete.
    async fn sign_in_as(
        &mut self,
        provider: FakeProvider,
        user: &FakeUser,
    ) -> Result<CompleteOAuthResponse, Status> {
        let begun = self.begin(provider).await;
        let redirect = self.fake.consent(&begun.authorization_url, user).unwrap();
        assert_eq!(redirect.state, begun.state);
        self.complete(provider, &redirect).await
    }

    /// Links `user` at `provider` to the account of `access_token`.
    async fn link(
        &mut self,
        access_token: &str,
        provider: FakeProvider,
        user: &FakeUser,
    ) -> Result<CompleteLinkOAuthResponse, Status> {
        let message = BeginLinkOAuthRequest {
            provider: provider.name().into(),
        };
        let begun = self
            .harness
            .account
            .begin_link_o_auth(authorized(message, access_token))
            .await?
            .into_inner();
        let redirect = self.fake.consent(&begun.authorization_url, user).unwrap();
        let message = CompleteLinkOAuthRequest {
            state: redirect.state,
            code: redirect.code,
        };
        let request = authorized(message, access_token);
        Ok(self
            .harness
            .account
            .complete_link_o_auth(request)
            .await?
            .into_inner())
    }

    async fn methods(&mut self, access_token: &str) -> Vec<LoginMethod> {
        let request = authorized(ListLoginMethodsRequest {}, access_token);
        let response = self.harness.account.list_login_methods(request).await;
        response.unwrap().into_inner().methods
    }

    async fn unlink(
        &mut self,
        access_token: &str,
        method: &str,
        reverification_token: &str,
    ) -> Result<(), Status> {
        let message = UnlinkLoginMethodRequest {
            method: method.into(),
            reverification_token: reverification_token.into(),
        };
        let request = authorized(message, access_token);
        self.harness.account.unlink_login_method(request).await?;
        Ok(())
    }

    /// The Redis key of a started flow, as the server names it.
    fn state_key(&self, state: &str) -> String {
        let digest: String = secret_hash(state)
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        self.harness.redis.key("auth", "oauth", &digest)
    }

    async fn finish(self) {
        self.harness.db.drop_database().await;
    }
}

fn names(methods: &[LoginMethod]) -> Vec<&str> {
    methods
        .iter()
        .map(|method| method.method.as_str())
        .collect()
}

fn session_of(response: CompleteOAuthResponse) -> SessionTokens {
    assert!(response.mfa_challenge.is_none());
    response.session.expect("a session")
}

async fn account_count(oauth: &OAuth) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM auth.user_account")
        .fetch_one(&oauth.harness.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn google_signs_up_a_new_customer_and_signs_them_in_again() {
    // Arrange
    let mut oauth = oauth().await;
    let user = FakeUser::verified("gail@example.com");

    // Act
    let first = oauth.sign_in_as(FakeProvider::Google, &user).await.unwrap();
    let again = oauth.sign_in_as(FakeProvider::Google, &user).await.unwrap();

    // Assert: one account without a password, the same one both times.
    assert_eq!(first.user_id, again.user_id);
    let session = session_of(again);
    let profile = oauth.harness.profile(&session.access_token).await.unwrap();
    assert_eq!(profile.user_id, first.user_id);
    assert_eq!(profile.email, "gail@example.com");
    let methods = oauth.methods(&session.access_token).await;
    assert_eq!(names(&methods), ["Google"]);
    assert_eq!(methods[0].email.as_deref(), Some("gail@example.com"));
    assert!(methods[0].linked_at.is_some());
    let by_password = oauth.harness.sign_in("gail@example.com", "").await;
    assert_eq!(by_password.unwrap_err().code(), Code::Unauthenticated);
    assert_eq!(account_count(&oauth).await, 1);
    oauth.finish().await;
}

#[tokio::test]
async fn the_client_authenticates_and_sends_the_pkce_verifier() {
    let mut oauth = oauth().await;

    oauth
        .sign_in_as(
            FakeProvider::Discord,
            &FakeUser::verified("dee@example.com"),
        )
        .await
        .unwrap();

    let requests = oauth.fake.token_requests();
    assert_eq!(requests.len(), 1);
    let form = &requests[0];
    assert_eq!(form["grant_type"], "authorization_code");
    assert_eq!(form["redirect_uri"], REDIRECT_URI);
    assert_eq!(form["client_id"], "Discord-client-id");
    assert!(form["code_verifier"].len() >= 43);
    oauth.finish().await;
}

#[tokio::test]
async fn a_verified_address_links_the_existing_account_and_tells_its_owner() {
    // Arrange: a customer who registered by email.
    let mut oauth = oauth().await;
    let registered = oauth.harness.register("ann@example.com", PASSWORD).await;

    // Act: Google vouches for the same address, in other letter case.
    let response = oauth
        .sign_in_as(FakeProvider::Google, &FakeUser::verified("Ann@Example.com"))
        .await
        .unwrap();

    // Assert
    assert_eq!(response.user_id, registered.user_id);
    let session = session_of(response);
    let methods = oauth.methods(&session.access_token).await;
    assert_eq!(names(&methods), ["password", "Google"]);
    let emails = oauth.harness.emails().await;
    let notice = emails
        .iter()
        .find(|email| email.subject.contains("Google sign-in was added"))
        .expect("a notice about the new sign-in method");
    assert_eq!(notice.to, "ann@example.com");
    assert_eq!(account_count(&oauth).await, 1);
    oauth.finish().await;
}

#[tokio::test]
async fn an_address_the_provider_does_not_vouch_for_is_refused() {
    // Arrange: an existing account someone would like to take over.
    let mut oauth = oauth().await;
    oauth.harness.register("bo@example.com", PASSWORD).await;

    // Act: Google with an unchecked address, Microsoft (whose address is never trusted),
    // and a new address without verification.
    let google = oauth
        .sign_in_as(
            FakeProvider::Google,
            &FakeUser::unverified("bo@example.com"),
        )
        .await;
    let microsoft = oauth
        .sign_in_as(
            FakeProvider::Microsoft,
            &FakeUser::verified("bo@example.com"),
        )
        .await;
    let discord = oauth
        .sign_in_as(
            FakeProvider::Discord,
            &FakeUser::unverified("new@example.com"),
        )
        .await;

    // Assert: nothing linked, nothing created.
    for refused in [google, microsoft, discord] {
        let status = refused.unwrap_err();
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert!(
            status
                .message()
                .contains("register with your email address")
        );
    }
    let linked: i64 = sqlx::query_scalar("SELECT count(*) FROM auth.oauth_identity")
        .fetch_one(&oauth.harness.db.pool)
        .await
        .unwrap();
    assert_eq!(linked, 0);
    assert_eq!(account_count(&oauth).await, 1);
    oauth.finish().await;
}

#[tokio::test]
async fn oauth_does_not_bypass_mfa() {
    // Arrange: a customer with MFA on.
    let mut oauth = oauth().await;
    let registered = oauth.harness.register("cy@example.com", PASSWORD).await;
    let access_token = registered.session.unwrap().access_token;
    let request = authorized(BeginMfaEnrollmentRequest {}, &access_token);
    let enrolment = oauth.harness.account.begin_mfa_enrollment(request).await;
    let secret = enrolment.unwrap().into_inner().secret;
    let app = Builder::new()
        .with_secret(Secret::try_from_base32(&secret).unwrap())
        .build()
        .unwrap();
    let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap();
    let message = ConfirmMfaEnrollmentRequest {
        code: app.generate(now).to_string(),
        reverification_token: oauth.harness.reverify(&access_token, PASSWORD).await,
    };
    let confirmed = oauth
        .harness
        .account
        .confirm_mfa_enrollment(authorized(message, &access_token))
        .await;
    let recovery_code = confirmed.unwrap().into_inner().recovery_codes[0].clone();
    let google = FakeUser::verified("cy@example.com");

    // Act: the address alone does not link the account; its owner links from inside.
    let by_address = oauth.sign_in_as(FakeProvider::Google, &google).await;
    let methods_after_refusal = oauth.methods(&access_token).await;
    oauth
        .link(&access_token, FakeProvider::Google, &google)
        .await
        .unwrap();
    let linked = oauth
        .sign_in_as(FakeProvider::Google, &google)
        .await
        .unwrap();

    // Assert: no link past the second factor, and no session without it.
    let status = by_address.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert!(status.message().contains("link Google from your account"));
    assert_eq!(names(&methods_after_refusal), ["password"]);
    assert!(linked.session.is_none());
    assert!(linked.mfa_challenge.is_some());
    let completed = oauth
        .harness
        .auth
        .complete_sign_in(CompleteSignInRequest {
            challenge: linked.mfa_challenge.unwrap(),
            code: recovery_code,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(completed.user_id, registered.user_id);
    assert!(completed.session.is_some());
    oauth.finish().await;
}

#[tokio::test]
async fn unknown_tampered_reused_and_mismatched_states_are_refused() {
    let mut oauth = oauth().await;
    let user = FakeUser::verified("di@example.com");

    // Unknown and tampered states.
    let begun = oauth.begin(FakeProvider::Google).await;
    let redirect = oauth.fake.consent(&begun.authorization_url, &user).unwrap();
    let tampered = ConsentRedirect {
        state: format!("{}x", redirect.state),
        ..redirect.clone()
    };
    let unknown = ConsentRedirect {
        state: "made-up".into(),
        ..redirect.clone()
    };
    for wrong in [&tampered, &unknown] {
        let status = oauth
            .complete(FakeProvider::Google, wrong)
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::Unauthenticated);
        assert!(status.message().contains("start again"));
    }

    // The real state works, once.
    oauth
        .complete(FakeProvider::Google, &redirect)
        .await
        .unwrap();
    let reused = oauth.complete(FakeProvider::Google, &redirect).await;
    assert_eq!(reused.unwrap_err().code(), Code::Unauthenticated);

    // A state of one provider is no good for another, and is spent by the attempt.
    let begun = oauth.begin(FakeProvider::Google).await;
    let redirect = oauth.fake.consent(&begun.authorization_url, &user).unwrap();
    let mismatched = oauth.complete(FakeProvider::GitHub, &redirect).await;
    let status = mismatched.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert!(status.message().contains("started with Google"));
    let after = oauth.complete(FakeProvider::Google, &redirect).await;
    assert_eq!(after.unwrap_err().code(), Code::Unauthenticated);
    oauth.finish().await;
}

#[tokio::test]
async fn started_flows_count_against_the_address_sign_in_limit() {
    // Arrange: three sign-in steps per address per window.
    let mut oauth = oauth().await;
    let mut shield = helium_shield::config::ShieldConfig::defaults();
    shield.sign_in_per_address.max = 3;
    oauth.harness.configs.save(&shield).await.unwrap();
    let user = FakeUser::verified("flood@example.com");

    // Act: a whole sign-in is two steps; a third flow may start, a fourth may not.
    oauth.sign_in_as(FakeProvider::Google, &user).await.unwrap();
    let third = oauth.begin(FakeProvider::GitHub).await;
    let request = BeginOAuthRequest {
        provider: FakeProvider::Discord.name().into(),
        purpose: OAuthFlowPurpose::OauthFlowPurposeSignIn.into(),
    };
    let fourth = oauth.harness.auth.begin_o_auth(request).await;

    // Assert: refused with a wait, and no fourth flow was stored.
    let refused = fourth.unwrap_err();
    assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
    assert!(refused.metadata().get("retry-after").is_some());
    let mut redis = oauth.harness.redis.get().await.unwrap();
    let pattern = format!("{}*", oauth.harness.redis.key("auth", "oauth", ""));
    let stored: Vec<String> = redis.keys(pattern).await.unwrap();
    assert_eq!(stored, vec![oauth.state_key(&third.state)]);
    oauth.finish().await;
}

#[tokio::test]
async fn an_expired_state_is_refused() {
    let mut oauth =
        oauth_with(|config| config.oauth_providers.challenge_expiration = Seconds(1)).await;
    let begun = oauth.begin(FakeProvider::Google).await;
    let user = FakeUser::verified("ed@example.com");
    let redirect = oauth.fake.consent(&begun.authorization_url, &user).unwrap();

    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let late = oauth.complete(FakeProvider::Google, &redirect).await;

    assert_eq!(late.unwrap_err().code(), Code::Unauthenticated);
    oauth.finish().await;
}

#[tokio::test]
async fn wrong_codes_declined_consent_and_a_wrong_pkce_verifier_are_refused() {
    let mut oauth = oauth().await;
    let user = FakeUser::verified("flo@example.com");

    // A code the provider never issued: Google says 400, GitHub says 200 with an error.
    for provider in [FakeProvider::Google, FakeProvider::GitHub] {
        let begun = oauth.begin(provider).await;
        let redirect = oauth.fake.consent(&begun.authorization_url, &user).unwrap();
        let wrong = ConsentRedirect {
            code: "not-a-code".into(),
            ..redirect
        };
        let status = oauth.complete(provider, &wrong).await.unwrap_err();
        assert_eq!(
            status.code(),
            Code::Unauthenticated,
            "{provider:?}: {status:?}"
        );
        assert!(status.message().contains("did not accept the sign-in code"));
    }

    // The customer declined: the redirect carried an error and no code.
    let begun = oauth.begin(FakeProvider::Google).await;
    let declined = ConsentRedirect {
        url: String::new(),
        code: String::new(),
        state: begun.state,
    };
    let status = oauth
        .complete(FakeProvider::Google, &declined)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert!(status.message().contains("did not grant access"));

    // The verifier the server keeps is not the one the challenge was made from.
    let begun = oauth.begin(FakeProvider::Google).await;
    let redirect = oauth.fake.consent(&begun.authorization_url, &user).unwrap();
    let key = oauth.state_key(&begun.state);
    let mut redis = oauth.harness.redis.get().await.unwrap();
    let stored: String = redis.get(&key).await.unwrap();
    let mut stored: serde_json::Value = serde_json::from_str(&stored).unwrap();
    stored["pkce_verifier"] = "a-verifier-of-someone-else-0123456789-abcdefghijk".into();
    let () = redis.set(&key, stored.to_string()).await.unwrap();
    let status = oauth
        .complete(FakeProvider::Google, &redirect)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);

    assert_eq!(account_count(&oauth).await, 0);
    oauth.finish().await;
}

#[tokio::test]
async fn a_provider_that_is_down_is_unavailable_not_internal() {
    let mut oauth = oauth().await;
    oauth.fake.set_unavailable(true);

    let status = oauth
        .sign_in_as(FakeProvider::Google, &FakeUser::verified("gus@example.com"))
        .await
        .unwrap_err();

    assert_eq!(status.code(), Code::Unavailable);
    assert!(status.message().contains("Google"));
    oauth.finish().await;
}

#[tokio::test]
async fn a_profile_too_large_to_read_is_unavailable_and_creates_nothing() {
    // Arrange: profiles of a little over a mebibyte, the most Helium reads.
    let mut oauth = oauth().await;
    oauth.fake.pad_profiles(1024 * 1024);

    // Act
    let status = oauth
        .sign_in_as(FakeProvider::Google, &FakeUser::verified("big@example.com"))
        .await
        .unwrap_err();

    // Assert
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert_eq!(account_count(&oauth).await, 0);

    // A profile with some padding, but within the bound, is read as usual.
    oauth.fake.pad_profiles(64 * 1024);
    oauth
        .sign_in_as(FakeProvider::Google, &FakeUser::verified("big@example.com"))
        .await
        .unwrap();
    assert_eq!(account_count(&oauth).await, 1);
    oauth.finish().await;
}

#[tokio::test]
async fn unknown_providers_are_refused_with_the_configured_ones_named() {
    let mut oauth = oauth_with(|config| config.oauth_providers.providers.truncate(2)).await;

    let request = BeginOAuthRequest {
        provider: "GitHub".into(),
        purpose: OAuthFlowPurpose::OauthFlowPurposeSignIn.into(),
    };
    let status = oauth.harness.auth.begin_o_auth(request).await.unwrap_err();

    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("Google, Microsoft"));
    oauth.finish().await;
}

#[tokio::test]
async fn the_authorization_url_carries_what_the_provider_needs() {
    let mut oauth = oauth().await;

    let begun = oauth.begin(FakeProvider::GitHub).await;

    let url = url::Url::parse(&begun.authorization_url).unwrap();
    let query: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(query["client_id"], "GitHub-client-id");
    assert_eq!(query["redirect_uri"], REDIRECT_URI);
    assert_eq!(query["response_type"], "code");
    assert_eq!(query["code_challenge_method"], "S256");
    assert_eq!(query["scope"], "read:user user:email");
    assert_eq!(query["state"], begun.state);
    assert!(!begun.authorization_url.contains("secret"));
    oauth.finish().await;
}

#[tokio::test]
async fn a_suspended_account_is_refused() {
    // Arrange: one account through Google, one by email; both suspended.
    let mut oauth = oauth().await;
    let google = FakeUser::verified("hal@example.com");
    oauth
        .sign_in_as(FakeProvider::Google, &google)
        .await
        .unwrap();
    oauth.harness.register("ida@example.com", PASSWORD).await;
    sqlx::query("UPDATE auth.user_account SET banned_at = now()")
        .execute(&oauth.harness.db.pool)
        .await
        .unwrap();

    // Act
    let linked = oauth.sign_in_as(FakeProvider::Google, &google).await;
    let by_address = oauth
        .sign_in_as(
            FakeProvider::Discord,
            &FakeUser::verified("ida@example.com"),
        )
        .await;

    // Assert: refused, and the suspended account gained no link.
    for refused in [linked, by_address] {
        assert_eq!(refused.unwrap_err().code(), Code::PermissionDenied);
    }
    let discord: i64 =
        sqlx::query_scalar("SELECT count(*) FROM auth.oauth_identity WHERE provider = 'Discord'")
            .fetch_one(&oauth.harness.db.pool)
            .await
            .unwrap();
    assert_eq!(discord, 0);
    oauth.finish().await;
}

#[tokio::test]
async fn sign_up_respects_the_register_domain_lists() {
    let mut oauth = oauth_with(|config| {
        let domains = &mut config.email_provider.register_domain;
        domains.enable_black_list = true;
        domains.black_list = vec!["spam.example".into()];
    })
    .await;

    let refused = oauth
        .sign_in_as(FakeProvider::Google, &FakeUser::verified("x@spam.example"))
        .await;

    assert_eq!(refused.unwrap_err().code(), Code::InvalidArgument);
    assert_eq!(account_count(&oauth).await, 0);
    oauth.finish().await;
}

#[tokio::test]
async fn each_provider_profile_shape_is_read() {
    let mut oauth = oauth().await;

    // Google, GitHub (primary verified address from /user/emails) and Discord sign up.
    for (provider, email) in [
        (FakeProvider::Google, "g@example.com"),
        (FakeProvider::GitHub, "h@example.com"),
        (FakeProvider::Discord, "d@example.com"),
    ] {
        let user = FakeUser::verified(email);
        let response = oauth.sign_in_as(provider, &user).await;
        let session = session_of(response.unwrap());
        let profile = oauth.harness.profile(&session.access_token).await.unwrap();
        assert_eq!(profile.email, email, "{provider:?}");
        let methods = oauth.methods(&session.access_token).await;
        assert_eq!(names(&methods), [provider.name()]);
        assert_eq!(methods[0].email.as_deref(), Some(email));
    }

    // GitHub's unverified primary address is not taken, even with a verified secondary one.
    let github = oauth
        .sign_in_as(FakeProvider::GitHub, &FakeUser::unverified("u@example.com"))
        .await;
    assert_eq!(github.unwrap_err().code(), Code::FailedPrecondition);

    // Microsoft can still be linked from an account, and its address is listed.
    let registered = oauth.harness.register("m@example.com", PASSWORD).await;
    let access_token = registered.session.unwrap().access_token;
    let microsoft = FakeUser::verified("m@contoso.example");
    oauth
        .link(&access_token, FakeProvider::Microsoft, &microsoft)
        .await
        .unwrap();
    let methods = oauth.methods(&access_token).await;
    assert_eq!(names(&methods), ["password", "Microsoft"]);
    assert_eq!(methods[1].email.as_deref(), Some("m@contoso.example"));
    let again = oauth.sign_in_as(FakeProvider::Microsoft, &microsoft).await;
    assert_eq!(again.unwrap().user_id, registered.user_id);
    oauth.finish().await;
}

#[tokio::test]
async fn linking_listing_and_unlinking_a_provider() {
    // Arrange
    let mut oauth = oauth().await;
    let registered = oauth.harness.register("jo@example.com", PASSWORD).await;
    let access_token = registered.session.unwrap().access_token;
    // GitHub may hold any address, verified or not: the signed-in customer vouches.
    let github = FakeUser::unverified("jo-at-work@example.org");

    // Act: link
    let linked = oauth
        .link(&access_token, FakeProvider::GitHub, &github)
        .await
        .unwrap();

    // Assert: listed, announced, and it signs in.
    assert_eq!(linked.provider, "GitHub");
    let methods = oauth.methods(&access_token).await;
    assert_eq!(names(&methods), ["password", "GitHub"]);
    assert!(methods[0].linked_at.is_none());
    let emails = oauth.harness.emails().await;
    assert!(
        emails.iter().any(|email| email.to == "jo@example.com"
            && email.subject.contains("GitHub sign-in was added"))
    );
    let signed_in = oauth.sign_in_as(FakeProvider::GitHub, &github).await;
    assert_eq!(signed_in.unwrap().user_id, registered.user_id);

    // A second GitHub account on the same customer is refused before the provider is asked.
    let message = BeginLinkOAuthRequest {
        provider: "GitHub".into(),
    };
    let request = authorized(message, &access_token);
    let twice = oauth.harness.account.begin_link_o_auth(request).await;
    assert_eq!(twice.unwrap_err().code(), Code::FailedPrecondition);

    // Act: unlink, without and then with a re-verification.
    let unverified = oauth.unlink(&access_token, "GitHub", "").await;
    assert_eq!(unverified.unwrap_err().code(), Code::PermissionDenied);
    let grant = oauth.harness.reverify(&access_token, PASSWORD).await;
    oauth.unlink(&access_token, "github", &grant).await.unwrap();

    // Assert
    assert_eq!(names(&oauth.methods(&access_token).await), ["password"]);
    let emails = oauth.harness.emails().await;
    assert!(emails.iter().any(|email| email.to == "jo@example.com"
        && email.subject.contains("GitHub sign-in was removed")));
    let gone = oauth.unlink(&access_token, "GitHub", "").await;
    assert_eq!(gone.unwrap_err().code(), Code::NotFound);
    let nonsense = oauth.unlink(&access_token, "MySpace", "").await;
    assert_eq!(nonsense.unwrap_err().code(), Code::InvalidArgument);
    oauth.finish().await;
}

#[tokio::test]
async fn a_provider_account_linked_elsewhere_is_refused() {
    // Arrange: Kim signed up with Google; Lee registered by email.
    let mut oauth = oauth().await;
    let kims_google = FakeUser::verified("kim@example.com");
    oauth
        .sign_in_as(FakeProvider::Google, &kims_google)
        .await
        .unwrap();
    let lee = oauth.harness.register("lee@example.com", PASSWORD).await;
    let access_token = lee.session.unwrap().access_token;

    // Act
    let refused = oauth
        .link(&access_token, FakeProvider::Google, &kims_google)
        .await;

    // Assert
    assert_eq!(refused.unwrap_err().code(), Code::AlreadyExists);
    assert_eq!(names(&oauth.methods(&access_token).await), ["password"]);
    oauth.finish().await;
}

#[tokio::test]
async fn a_link_finishes_only_in_the_session_that_began_it() {
    let mut oauth = oauth().await;
    let registered = oauth.harness.register("max@example.com", PASSWORD).await;
    let first = registered.session.unwrap().access_token;
    let second = oauth
        .harness
        .sign_in("max@example.com", PASSWORD)
        .await
        .unwrap()
        .access_token;
    let message = BeginLinkOAuthRequest {
        provider: "Discord".into(),
    };
    let begun = oauth
        .harness
        .account
        .begin_link_o_auth(authorized(message, &first))
        .await
        .unwrap()
        .into_inner();
    let user = FakeUser::verified("max@example.com");
    let redirect = oauth.fake.consent(&begun.authorization_url, &user).unwrap();

    let message = CompleteLinkOAuthRequest {
        state: redirect.state,
        code: redirect.code,
    };
    let request = authorized(message, &second);
    let refused = oauth.harness.account.complete_link_o_auth(request).await;

    assert_eq!(refused.unwrap_err().code(), Code::PermissionDenied);
    assert_eq!(names(&oauth.methods(&first).await), ["password"]);
    oauth.finish().await;
}

#[tokio::test]
async fn the_last_login_method_is_never_removed() {
    let mut oauth = oauth().await;

    // A password-only account, with a valid re-verification.
    let registered = oauth.harness.register("ned@example.com", PASSWORD).await;
    let access_token = registered.session.unwrap().access_token;
    let grant = oauth.harness.reverify(&access_token, PASSWORD).await;
    let refused = oauth.unlink(&access_token, "password", &grant).await;
    let status = refused.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert!(status.message().contains("only way to sign in"));
    // The refusal left the grant usable: it still works for a change that is allowed.
    oauth
        .link(
            &access_token,
            FakeProvider::Google,
            &FakeUser::unverified("n@x.example"),
        )
        .await
        .unwrap();
    oauth
        .unlink(&access_token, "password", &grant)
        .await
        .unwrap();
    assert_eq!(names(&oauth.methods(&access_token).await), ["Google"]);

    // A Google-only account.
    let response = oauth
        .sign_in_as(FakeProvider::Google, &FakeUser::verified("oz@example.com"))
        .await;
    let access_token = session_of(response.unwrap()).access_token;
    let refused = oauth.unlink(&access_token, "Google", "").await;
    assert_eq!(refused.unwrap_err().code(), Code::FailedPrecondition);
    oauth.finish().await;
}

#[tokio::test]
async fn racing_unlinks_of_the_two_methods_leave_exactly_one() {
    for _ in 0..3 {
        // Arrange: password and Google, and a grant for each removal.
        let mut oauth = oauth().await;
        let registered = oauth.harness.register("pat@example.com", PASSWORD).await;
        let access_token = registered.session.unwrap().access_token;
        let google = FakeUser::unverified("pat@mail.example");
        oauth
            .link(&access_token, FakeProvider::Google, &google)
            .await
            .unwrap();
        let first = oauth.harness.reverify(&access_token, PASSWORD).await;
        let second = oauth.harness.reverify(&access_token, PASSWORD).await;

        // Act
        let mut account_a = oauth.harness.account.clone();
        let mut account_b = oauth.harness.account.clone();
        let password = UnlinkLoginMethodRequest {
            method: "password".into(),
            reverification_token: first,
        };
        let provider = UnlinkLoginMethodRequest {
            method: "Google".into(),
            reverification_token: second,
        };
        let (a, b) = tokio::join!(
            account_a.unlink_login_method(authorized(password, &access_token)),
            account_b.unlink_login_method(authorized(provider, &access_token)),
        );

        // Assert
        let outcomes = [a.map(drop), b.map(drop)];
        let succeeded = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
        assert_eq!(succeeded, 1, "{outcomes:?}");
        let refused = outcomes.iter().find_map(|outcome| outcome.as_ref().err());
        assert_eq!(refused.unwrap().code(), Code::FailedPrecondition);
        assert_eq!(oauth.methods(&access_token).await.len(), 1);
        oauth.finish().await;
    }
}

impl OAuth {
    /// Starts a re-verification through `provider` for the session of `access_token`.
    async fn begin_reverify(
        &mut self,
        access_token: &str,
        provider: FakeProvider,
    ) -> Result<BeginOAuthResponse, Status> {
        let message = BeginOAuthRequest {
            provider: provider.name().into(),
            purpose: OAuthFlowPurpose::OauthFlowPurposeReverify.into(),
        };
        let request = authorized(message, access_token);
        Ok(self.harness.auth.begin_o_auth(request).await?.into_inner())
    }

    async fn reverify_with(
        &mut self,
        access_token: &str,
        redirect: &ConsentRedirect,
    ) -> Result<String, Status> {
        let message = ReverifyRequest {
            oauth: Some(OAuthProof {
                state: redirect.state.clone(),
                code: redirect.code.clone(),
            }),
            ..Default::default()
        };
        let request = authorized(message, access_token);
        let response = self.harness.account.reverify(request).await?;
        Ok(response.into_inner().reverification_token)
    }
}

#[tokio::test]
async fn an_account_without_password_reverifies_through_its_provider() {
    // Arrange: signed up with Google, GitHub linked later.
    let mut oauth = oauth().await;
    let google = FakeUser::verified("quin@example.com");
    let response = oauth.sign_in_as(FakeProvider::Google, &google).await;
    let access_token = session_of(response.unwrap()).access_token;
    let github = FakeUser::unverified("quin@work.example");
    oauth
        .link(&access_token, FakeProvider::GitHub, &github)
        .await
        .unwrap();

    // Refused: no session, a provider that is not linked, someone else's Google account,
    // and a re-verification flow used to sign in.
    let anonymous = BeginOAuthRequest {
        provider: "Google".into(),
        purpose: OAuthFlowPurpose::OauthFlowPurposeReverify.into(),
    };
    let status = oauth
        .harness
        .auth
        .begin_o_auth(anonymous)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    let discord = oauth
        .begin_reverify(&access_token, FakeProvider::Discord)
        .await;
    assert_eq!(discord.unwrap_err().code(), Code::FailedPrecondition);
    let begun = oauth
        .begin_reverify(&access_token, FakeProvider::Google)
        .await
        .unwrap();
    let stranger = FakeUser::verified("stranger@example.com");
    let redirect = oauth
        .fake
        .consent(&begun.authorization_url, &stranger)
        .unwrap();
    let status = oauth
        .reverify_with(&access_token, &redirect)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    let begun = oauth
        .begin_reverify(&access_token, FakeProvider::Google)
        .await
        .unwrap();
    let redirect = oauth
        .fake
        .consent(&begun.authorization_url, &google)
        .unwrap();
    let as_sign_in = oauth.complete(FakeProvider::Google, &redirect).await;
    assert_eq!(as_sign_in.unwrap_err().code(), Code::Unauthenticated);

    // Act: the real proof, then a removal with the grant it gives.
    let begun = oauth
        .begin_reverify(&access_token, FakeProvider::Google)
        .await
        .unwrap();
    let redirect = oauth
        .fake
        .consent(&begun.authorization_url, &google)
        .unwrap();
    let grant = oauth.reverify_with(&access_token, &redirect).await.unwrap();
    oauth.unlink(&access_token, "GitHub", &grant).await.unwrap();

    // Assert
    assert_eq!(names(&oauth.methods(&access_token).await), ["Google"]);
    oauth.finish().await;
}
