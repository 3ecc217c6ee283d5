//! Starting the API for one test, and the steps most tests share.

use std::net::SocketAddr;

use helium_auth::cache::AuthCache;
use helium_auth::config::AuthConfig;
use helium_auth::rpc::pb as auth_pb;
use helium_auth::rpc::pb::account_service_client::AccountServiceClient;
use helium_auth::rpc::pb::auth_service_client::AuthServiceClient;
use helium_framework::config::{ConfigStore, ModuleConfig};
use helium_framework::processor::{DatabaseProcessor, Processor};
use helium_framework::redis::RedisConnection;
use helium_framework::testing::{TestDatabase, redis_url, unique_name};
use helium_mailer::events::SendEmail;
use helium_manage::AdminRole;
use helium_manage::config::AdminJwtConfig;
use helium_manage::pb;
use helium_manage::pb::admin_auth_service_client::AdminAuthServiceClient;
use helium_manage::pb::admin_service_client::AdminServiceClient;
use helium_manage::services::access::Grant;
use helium_manage::services::admin_account::{AdminAccountService, CreateAdminRequest};
use prost::Message as _;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::{Channel, Server};
use tonic::{Code, Request, Status};
use uuid::Uuid;

/// The API of one test, serving on `127.0.0.1:<random port>`: the admin services, and the
/// customer services of the auth module, so a test can make customers and sessions as the
/// customers' apps would.
pub struct TestApi {
    pub db: TestDatabase,
    pub jwt: AdminJwtConfig,
    /// The configuration the services read, for tests that change a limit.
    pub configs: ConfigStore,
    pub address: SocketAddr,
    server: tokio::task::JoinHandle<()>,
}

/// An admin the test created directly, with the credential it can sign in with.
pub struct TestAdmin {
    pub id: Uuid,
    pub email: String,
    pub credential: String,
}

impl TestApi {
    pub async fn spawn() -> Self {
        let db = TestDatabase::create().await;
        let redis = RedisConnection::with_prefix(&redis_url(), &unique_name("test")).unwrap();
        let configs = ConfigStore::new(db.pool.clone(), redis.clone());
        let jwt = AdminJwtConfig::defaults();
        configs.save(&jwt).await.unwrap();
        let mut customer_auth = AuthConfig::defaults();
        customer_auth.frontend.registration_url_template =
            "https://app.test/register?token={TOKEN}".into();
        customer_auth.frontend.password_reset_url_template =
            "https://app.test/reset?token={TOKEN}".into();
        configs.save(&customer_auth).await.unwrap();

        // The customer services and the admin ones share the worker's memory of sessions
        // and profiles, listening as in a worker, so a ban is seen at once by both.
        let auth_cache = AuthCache::new();
        let watcher = auth_cache.clone();
        let watched = db.pool.clone();
        tokio::spawn(async move {
            watcher
                .watch(watched, tokio_util::sync::CancellationToken::new())
                .await
        });
        while !auth_cache.is_listening() {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let (auth, admin) = helium_manage::rpc::services(
            db.pool.clone(),
            redis.clone(),
            configs.clone(),
            auth_cache.clone(),
        );
        let (customer_auth, customer_account) =
            helium_auth::rpc::services(db.pool.clone(), redis, configs.clone(), auth_cache);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            Server::builder()
                .add_service(auth)
                .add_service(admin)
                .add_service(customer_auth)
                .add_service(customer_account)
                .serve_with_incoming(TcpListenerStream::new(listener))
                .await
                .unwrap();
        });
        Self {
            db,
            jwt,
            configs,
            address,
            server,
        }
    }

    pub async fn stop(self) {
        self.server.abort();
        self.db.drop_database().await;
    }

    async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.address))
            .unwrap()
            .connect()
            .await
            .unwrap()
    }

    pub async fn auth(&self) -> AdminAuthServiceClient<Channel> {
        AdminAuthServiceClient::new(self.channel().await)
    }

    pub async fn admin(&self) -> AdminServiceClient<Channel> {
        AdminServiceClient::new(self.channel().await)
    }

    /// The customers' sign-in service of the auth module.
    pub async fn customer_auth(&self) -> AuthServiceClient<Channel> {
        AuthServiceClient::new(self.channel().await)
    }

    /// The signed-in customer's account service of the auth module.
    pub async fn customer_account(&self) -> AccountServiceClient<Channel> {
        AccountServiceClient::new(self.channel().await)
    }

    /// Registers a customer through the email link, as the customer's app would, and returns
    /// the account id and the session that registration signs in.
    pub async fn register_customer(&self, email: &str) -> (String, auth_pb::SessionTokens) {
        let mut auth = self.customer_auth().await;
        auth.request_registration(auth_pb::RequestRegistrationRequest {
            email: email.to_owned(),
            referral_code: None,
        })
        .await
        .unwrap();
        let token = self.emailed_token(email).await;
        let completed = auth
            .complete_registration(auth_pb::CompleteRegistrationRequest {
                token,
                password: CUSTOMER_PASSWORD.to_owned(),
                device: "test browser".to_owned(),
            })
            .await
            .unwrap()
            .into_inner();
        (completed.user_id, completed.session.unwrap())
    }

    /// The emails queued so far, oldest first, read from the outbox where services queue them.
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
        let email = emails.iter().rev().find(|email| email.to == to).unwrap();
        let start = email.text_body.find("token=").unwrap() + "token=".len();
        email.text_body[start..]
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned()
    }

    /// Creates an account with a credential the way an operator would, bypassing the API.
    pub async fn create_admin(&self, role: AdminRole) -> TestAdmin {
        let email = format!("{}@example.com", unique_name("admin"));
        let admins = AdminAccountService::new(DatabaseProcessor::from_pool(self.db.pool.clone()));
        let created = admins
            .process(CreateAdminRequest {
                grant: Grant::unchecked_for_operator(),
                name: format!("{role} Person"),
                role,
                email: Some(email.clone()),
                avatar: None,
                with_credential: true,
            })
            .await
            .unwrap();
        TestAdmin {
            id: created.account.id,
            email,
            credential: created.credential.unwrap().expose().to_owned(),
        }
    }

    /// Signs `admin` in and returns the access token.
    pub async fn sign_in(&self, admin: &TestAdmin) -> String {
        self.auth()
            .await
            .sign_in(sign_in_by_id(admin.id, &admin.credential))
            .await
            .unwrap()
            .into_inner()
            .access_token
    }

    /// Creates an admin with `role` and signs it in.
    pub async fn signed_in(&self, role: AdminRole) -> (TestAdmin, String) {
        let admin = self.create_admin(role).await;
        let token = self.sign_in(&admin).await;
        (admin, token)
    }

    /// The single number `sql` selects, such as a `count(*)`.
    pub async fn number(&self, sql: &'static str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.db.pool)
            .await
            .unwrap()
    }
}

/// The password every test customer registers with.
pub const CUSTOMER_PASSWORD: &str = "correct horse battery";

pub fn sign_in_by_id(id: Uuid, credential: &str) -> pb::SignInRequest {
    pb::SignInRequest {
        identity: Some(pb::sign_in_request::Identity::AdminId(id.to_string())),
        credential: credential.to_owned(),
    }
}

pub fn sign_in_by_email(email: &str, credential: &str) -> pb::SignInRequest {
    pb::SignInRequest {
        identity: Some(pb::sign_in_request::Identity::Email(email.to_owned())),
        credential: credential.to_owned(),
    }
}

/// `message` with `authorization: Bearer <token>`.
pub fn authorized<T>(token: &str, message: T) -> Request<T> {
    let mut request = Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

/// Asserts that `result` failed with `code`, and returns the status for more checks.
#[track_caller]
pub fn refused<T: std::fmt::Debug>(result: Result<T, Status>, code: Code) -> Status {
    match result {
        Err(status) => {
            assert_eq!(status.code(), code, "{status:?}");
            status
        }
        Ok(response) => panic!("expected {code:?}, got {response:?}"),
    }
}

pub fn role(role: pb::AdminRole) -> i32 {
    role.into()
}
