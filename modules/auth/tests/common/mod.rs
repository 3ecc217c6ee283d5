//! The harness shared by the auth module's gRPC tests: a server over a fresh database and
//! Redis prefix, clients, and readers of the emails queued in the outbox.

// Each test binary uses its own part of the harness.
#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use helium_auth::cache::AuthCache;
use helium_auth::config::AuthConfig;
use helium_auth::rpc::pb::account_service_client::AccountServiceClient;
use helium_auth::rpc::pb::auth_service_client::AuthServiceClient;
use helium_auth::rpc::pb::*;
use helium_framework::config::{ConfigStore, ModuleConfig};
use helium_framework::redis::RedisConnection;
use helium_framework::testing::{TestDatabase, redis_url, unique_name};
use helium_mailer::events::SendEmail;
use prost::Message as _;
use tokio_util::sync::CancellationToken;
use tonic::Request;
use tonic::transport::Channel;

/// A gRPC server of the auth module over a fresh database and Redis prefix, and clients.
pub struct Harness {
    pub db: TestDatabase,
    pub configs: ConfigStore,
    /// The server's Redis, under the test's own key prefix.
    pub redis: RedisConnection,
    pub auth: AuthServiceClient<Channel>,
    pub account: AccountServiceClient<Channel>,
    /// The server's memory of sessions and profiles, in use: the tests run the same cached
    /// paths a worker does.
    pub cache: AuthCache,
}

pub async fn harness_with(adjust: impl FnOnce(&mut AuthConfig)) -> Harness {
    let db = TestDatabase::create().await;
    let redis = RedisConnection::with_prefix(&redis_url(), &unique_name("test")).unwrap();
    let configs = ConfigStore::new(db.pool.clone(), redis.clone());
    let mut config = AuthConfig::defaults();
    config.frontend.registration_url_template = "https://app.test/register?token={TOKEN}".into();
    config.frontend.password_reset_url_template = "https://app.test/reset?token={TOKEN}".into();
    adjust(&mut config);
    configs.save(&config).await.unwrap();

    let cache = listening_cache(&db.pool).await;
    let (auth, account) = helium_auth::rpc::services(
        db.pool.clone(),
        redis.clone(),
        configs.clone(),
        cache.clone(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(auth)
            .add_service(account)
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    let endpoint = format!("http://{address}");
    let channel = Channel::from_shared(endpoint)
        .unwrap()
        .connect()
        .await
        .unwrap();
    Harness {
        db,
        configs,
        redis,
        auth: AuthServiceClient::new(channel.clone()),
        account: AccountServiceClient::new(channel),
        cache,
    }
}

/// A cache whose listener is connected to `db`. The listener stops when the test's runtime
/// ends.
pub async fn listening_cache(db: &sqlx::PgPool) -> AuthCache {
    let cache = AuthCache::new();
    let watcher = cache.clone();
    let db = db.clone();
    tokio::spawn(async move { watcher.watch(db, CancellationToken::new()).await });
    for _ in 0..500 {
        if cache.is_listening() {
            return cache;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the auth cache listener did not connect");
}

pub async fn harness() -> Harness {
    harness_with(|_| {}).await
}

pub fn registration(email: &str) -> RequestRegistrationRequest {
    RequestRegistrationRequest {
        email: email.into(),
        referral_code: None,
    }
}

pub fn completion(token: &str, password: &str) -> CompleteRegistrationRequest {
    CompleteRegistrationRequest {
        token: token.into(),
        password: password.into(),
        device: "test browser".into(),
    }
}

pub fn authorized<T>(message: T, access_token: &str) -> Request<T> {
    let mut request = Request::new(message);
    let header = format!("Bearer {access_token}").parse().unwrap();
    request.metadata_mut().insert("authorization", header);
    request
}

impl Harness {
    /// The emails queued so far, oldest first.
    pub async fn emails(&self) -> Vec<SendEmail> {
        let payloads: Vec<Vec<u8>> = sqlx::query_scalar(
            "SELECT payload FROM public.outbox_event WHERE routing_key = 'mailer.email.send'
             ORDER BY id",
        )
        .fetch_all(&self.db.pool)
        .await
        .unwrap();
        payloads
            .iter()
            .map(|payload| SendEmail::decode(payload.as_slice()).unwrap())
            .collect()
    }

    /// The token of the newest link emailed to `to`.
    pub async fn emailed_token(&self, to: &str) -> String {
        let emails = self.emails().await;
        let email = emails
            .iter()
            .rev()
            .find(|email| email.to == to)
            .expect("no email sent");
        let start = email
            .text_body
            .find("token=")
            .expect("no link in the email")
            + 6;
        email.text_body[start..]
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned()
    }

    pub async fn register(&mut self, email: &str, password: &str) -> CompleteRegistrationResponse {
        self.auth
            .request_registration(registration(email))
            .await
            .unwrap();
        let token = self.emailed_token(email).await;
        let completed = self
            .auth
            .complete_registration(completion(&token, password))
            .await;
        completed.unwrap().into_inner()
    }

    pub async fn sign_in(
        &mut self,
        email: &str,
        password: &str,
    ) -> Result<SessionTokens, tonic::Status> {
        let request = SignInRequest {
            email: email.into(),
            password: password.into(),
            device: "laptop".into(),
        };
        let response = self.auth.sign_in(request).await?;
        Ok(response.into_inner().session.unwrap())
    }

    pub async fn profile(
        &mut self,
        access_token: &str,
    ) -> Result<GetProfileResponse, tonic::Status> {
        let request = authorized(GetProfileRequest {}, access_token);
        Ok(self.account.get_profile(request).await?.into_inner())
    }

    /// Proves the password again and returns the grant for one sensitive change.
    pub async fn reverify(&mut self, access_token: &str, password: &str) -> String {
        let message = ReverifyRequest {
            password: password.into(),
            mfa_code: None,
            oauth: None,
        };
        let request = authorized(message, access_token);
        let response = self.account.reverify(request).await.unwrap();
        response.into_inner().reverification_token
    }
}
