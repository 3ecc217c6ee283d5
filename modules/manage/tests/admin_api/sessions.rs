//! Signing in, and everything that ends a session: rotation, re-issue, deletion.

use helium_framework::config::{ModuleConfig, Seconds};
use helium_framework::processor::{DatabaseProcessor, Processor};
use helium_framework::tokens::JwtCodec;
use helium_manage::AdminRole;
use helium_manage::pb;
use helium_manage::services::access::Grant;
use helium_manage::services::admin_account::{AdminAccountService, IssueCredentialRequest};
use helium_shield::config::{RateLimit, ShieldConfig};
use serde_json::{Value, json};
use tonic::Code;

use crate::support::{TestApi, authorized, refused, sign_in_by_email, sign_in_by_id};

#[tokio::test]
async fn an_admin_signs_in_with_id_or_email_and_the_token_names_them() {
    // Arrange
    let api = TestApi::spawn().await;
    let admin = api.create_admin(AdminRole::Moderator).await;
    let mut auth = api.auth().await;

    // Act
    let by_id = auth
        .sign_in(sign_in_by_id(admin.id, &admin.credential))
        .await
        .unwrap()
        .into_inner();
    let by_email = auth
        .sign_in(sign_in_by_email(
            &admin.email.to_uppercase(),
            &admin.credential,
        ))
        .await
        .unwrap()
        .into_inner();
    let me = api
        .admin()
        .await
        .get_me(authorized(&by_id.access_token, pb::GetMeRequest {}))
        .await
        .unwrap()
        .into_inner();

    // Assert
    let signed_in = by_id.admin.unwrap();
    assert_eq!(signed_in.id, admin.id.to_string());
    assert_eq!(signed_in.role, i32::from(pb::AdminRole::Moderator));
    assert_eq!(by_email.admin.unwrap().id, admin.id.to_string());
    assert_eq!(me.admin.unwrap(), signed_in);

    let codec = JwtCodec::new(api.jwt.secret.expose(), &api.jwt.issuer).unwrap();
    let claims: Value = codec.verify(&by_id.access_token, "HeliumAdmin").unwrap();
    assert_eq!(claims["sub"], admin.id.to_string());
    assert_eq!(claims["role"], "moderator");
    assert_eq!(claims["aud"], "HeliumAdmin");
    assert_eq!(claims["iss"], api.jwt.issuer);
    assert!(claims["sid"].is_string() && claims["jti"].is_string());
    let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
    assert_eq!(lifetime, 864_000);
    assert_eq!(
        by_id.expires_at.unwrap().seconds,
        claims["exp"].as_i64().unwrap()
    );
    api.stop().await;
}

#[tokio::test]
async fn a_wrong_credential_and_an_unknown_admin_are_refused_alike() {
    // Arrange
    let api = TestApi::spawn().await;
    let admin = api.create_admin(AdminRole::SuperAdmin).await;
    let mut auth = api.auth().await;

    // Act
    let wrong_credential = auth
        .sign_in(sign_in_by_id(admin.id, "not-the-credential"))
        .await;
    let unknown_email = auth
        .sign_in(sign_in_by_email("nobody@example.com", &admin.credential))
        .await;
    let no_identity = auth
        .sign_in(pb::SignInRequest {
            identity: None,
            credential: admin.credential.clone(),
        })
        .await;

    // Assert
    let wrong = refused(wrong_credential, Code::Unauthenticated);
    let unknown = refused(unknown_email, Code::Unauthenticated);
    assert_eq!(wrong.message(), unknown.message());
    refused(no_identity, Code::InvalidArgument);
    api.stop().await;
}

#[tokio::test]
async fn credential_checks_from_one_address_are_limited_but_the_admin_is_not_locked_out() {
    // Arrange: three sign-in attempts per address per window.
    let api = TestApi::spawn().await;
    let mut shield = ShieldConfig::defaults();
    shield.sign_in_per_address = RateLimit {
        max: 3,
        window: Seconds(300),
    };
    api.configs.save(&shield).await.unwrap();
    let admin = api.create_admin(AdminRole::Moderator).await;
    let mut auth = api.auth().await;

    // Act: two wrong guesses and a right credential use up the window.
    for _ in 0..2 {
        let guess = auth.sign_in(sign_in_by_id(admin.id, "a-guess")).await;
        refused(guess, Code::Unauthenticated);
    }
    auth.sign_in(sign_in_by_id(admin.id, &admin.credential))
        .await
        .unwrap();
    let fourth = auth
        .sign_in(sign_in_by_id(admin.id, &admin.credential))
        .await;
    let rotation = auth
        .rotate_credential(pb::RotateCredentialRequest {
            identity: Some(pb::rotate_credential_request::Identity::AdminId(
                admin.id.to_string(),
            )),
            credential: admin.credential.clone(),
        })
        .await;

    // Assert: refused with a wait, rotation included; the credential was not replaced.
    let limited = refused(fourth, Code::ResourceExhausted);
    assert!(limited.message().contains("try again in"), "{limited:?}");
    assert!(limited.metadata().get("retry-after").is_some());
    refused(rotation, Code::ResourceExhausted);

    // Assert: the limit is the address's alone: raised, it admits the admin again at once.
    api.configs.save(&ShieldConfig::defaults()).await.unwrap();
    auth.sign_in(sign_in_by_id(admin.id, &admin.credential))
        .await
        .unwrap();
    api.stop().await;
}

#[tokio::test]
async fn rotating_a_credential_ends_the_old_one_and_its_sessions_at_once() {
    // Arrange
    let api = TestApi::spawn().await;
    let admin = api.create_admin(AdminRole::CustomerSupport).await;
    let old_token = api.sign_in(&admin).await;

    // Act
    let rotated = api
        .auth()
        .await
        .rotate_credential(pb::RotateCredentialRequest {
            identity: Some(pb::rotate_credential_request::Identity::Email(
                admin.email.clone(),
            )),
            credential: admin.credential.clone(),
        })
        .await
        .unwrap()
        .into_inner();

    // Assert
    let mut auth = api.auth().await;
    let mut admins = api.admin().await;
    let old_sign_in = auth
        .sign_in(sign_in_by_id(admin.id, &admin.credential))
        .await;
    refused(old_sign_in, Code::Unauthenticated);
    let old_session = admins
        .get_me(authorized(&old_token, pb::GetMeRequest {}))
        .await;
    let ended = refused(old_session, Code::Unauthenticated);
    assert!(ended.message().contains("sign in again"), "{ended:?}");

    assert_ne!(rotated.credential, admin.credential);
    admins
        .get_me(authorized(&rotated.access_token, pb::GetMeRequest {}))
        .await
        .unwrap();
    auth.sign_in(sign_in_by_id(admin.id, &rotated.credential))
        .await
        .unwrap();
    let again_with_old = auth
        .rotate_credential(pb::RotateCredentialRequest {
            identity: Some(pb::rotate_credential_request::Identity::AdminId(
                admin.id.to_string(),
            )),
            credential: admin.credential.clone(),
        })
        .await;
    refused(again_with_old, Code::Unauthenticated);
    api.stop().await;
}

#[tokio::test]
async fn an_operator_issuing_a_new_credential_ends_the_admins_sessions() {
    // Arrange
    let api = TestApi::spawn().await;
    let admin = api.create_admin(AdminRole::SuperAdmin).await;
    let token = api.sign_in(&admin).await;
    let admins = AdminAccountService::new(DatabaseProcessor::from_pool(api.db.pool.clone()));

    // Act
    let issued = admins
        .process(IssueCredentialRequest {
            grant: Grant::unchecked_for_operator(),
            admin_id: admin.id,
        })
        .await
        .unwrap();

    // Assert
    let mut client = api.admin().await;
    let old_session = client.get_me(authorized(&token, pb::GetMeRequest {})).await;
    refused(old_session, Code::Unauthenticated);
    api.auth()
        .await
        .sign_in(sign_in_by_id(admin.id, issued.credential.expose()))
        .await
        .unwrap();
    api.stop().await;
}

#[tokio::test]
async fn deleting_an_admin_ends_their_sessions_at_once() {
    // Arrange
    let api = TestApi::spawn().await;
    let (_, owner_token) = api.signed_in(AdminRole::SuperAdmin).await;
    let (leaver, leaver_token) = api.signed_in(AdminRole::SuperAdmin).await;
    let mut client = api.admin().await;

    // Act
    client
        .delete_admin(authorized(
            &owner_token,
            pb::DeleteAdminRequest {
                admin_id: leaver.id.to_string(),
            },
        ))
        .await
        .unwrap();

    // Assert
    let after = client
        .list_admins(authorized(&leaver_token, pb::ListAdminsRequest::default()))
        .await;
    refused(after, Code::Unauthenticated);
    api.stop().await;
}

#[tokio::test]
async fn customer_expired_and_malformed_tokens_are_refused_as_unauthenticated() {
    // Arrange
    let api = TestApi::spawn().await;
    let (_, token) = api.signed_in(AdminRole::SuperAdmin).await;
    let admin_codec = JwtCodec::new(api.jwt.secret.expose(), &api.jwt.issuer).unwrap();
    // Everything but the audience or expiry is taken from a genuine token, so that nothing
    // else could be the reason for a refusal.
    let genuine: Value = admin_codec.verify(&token, "HeliumAdmin").unwrap();
    let now = chrono::Utc::now().timestamp();
    let claims = |aud: &str, exp: i64| {
        let mut claims = genuine.clone();
        claims["aud"] = json!(aud);
        claims["exp"] = json!(exp);
        claims
    };
    let customer_codec =
        JwtCodec::new("a-customer-secret-of-at-least-32-chars", &api.jwt.issuer).unwrap();
    let tokens = [
        // A customer token: the customer secret and audience.
        customer_codec
            .issue(&claims("HeliumUser", now + 600))
            .unwrap(),
        // A customer audience even under the admin secret, as a careless operator might set.
        admin_codec.issue(&claims("HeliumUser", now + 600)).unwrap(),
        admin_codec
            .issue(&claims("HeliumAdmin", now - 600))
            .unwrap(),
        "not-a-token".to_owned(),
    ];
    let mut client = api.admin().await;

    for token in tokens {
        // Act
        let result = client.get_me(authorized(&token, pb::GetMeRequest {})).await;

        // Assert
        refused(result, Code::Unauthenticated);
    }
    let anonymous = client.get_me(pb::GetMeRequest {}).await;
    refused(anonymous, Code::Unauthenticated);
    api.stop().await;
}
