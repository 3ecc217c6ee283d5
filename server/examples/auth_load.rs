//! Load generator for `bench/auth.py`.
//!
//! - `auth_load setup <grpc-url>`: with `DATABASE_URL` and `REDIS_URL` pointing at the
//!   benchmark's database, lifts the sign-in limits (the benchmark signs one account in
//!   thousands of times), registers `bench@helium.test` and prints an access token.
//! - `auth_load <profile|health|sign-in> <grpc-url> <token> <concurrency> <seconds>`: calls
//!   the method in a closed loop from `concurrency` tasks and prints the calls per second.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use helium_auth::rpc::pb::account_service_client::AccountServiceClient;
use helium_auth::rpc::pb::auth_service_client::AuthServiceClient;
use helium_auth::rpc::pb::{
    CompleteRegistrationRequest, GetProfileRequest, RequestRegistrationRequest, SignInRequest,
};
use helium_framework::config::{ConfigStore, ModuleConfig, Seconds};
use helium_framework::redis::RedisConnection;
use helium_shield::config::ShieldConfig;
use tonic::transport::Channel;

type Error = Box<dyn std::error::Error + Send + Sync>;

const EMAIL: &str = "bench@helium.test";
const PASSWORD: &str = "benchmark password";

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [command, url] if command == "setup" => setup(url).await,
        [method, url, token, concurrency, seconds] => {
            let rate = load(method, url, token, concurrency.parse()?, seconds.parse()?).await?;
            println!("{rate:.1}");
            Ok(())
        }
        _ => Err(
            "usage: auth_load setup URL | auth_load METHOD URL TOKEN CONCURRENCY SECONDS".into(),
        ),
    }
}

async fn setup(url: &str) -> Result<(), Error> {
    let db = sqlx::PgPool::connect(&std::env::var("DATABASE_URL")?).await?;
    let redis = RedisConnection::new(&std::env::var("REDIS_URL")?)?;
    let configs = ConfigStore::new(db.clone(), redis);
    let mut shield = ShieldConfig::defaults();
    shield.sign_in_per_account.max = u32::MAX;
    shield.sign_in_per_address.max = u32::MAX;
    shield.email_per_address.max = u32::MAX;
    shield.email_per_recipient.max = u32::MAX;
    shield.lockout.failures = u32::MAX;
    shield.lockout.window = Seconds(1);
    configs.save(&shield).await?;

    let channel = Channel::from_shared(url.to_owned())?.connect().await?;
    let mut auth = AuthServiceClient::new(channel);
    let signed_in = auth
        .sign_in(SignInRequest {
            email: EMAIL.into(),
            password: PASSWORD.into(),
            device: "bench".into(),
        })
        .await;
    let session = match signed_in {
        Ok(response) => response.into_inner().session,
        Err(_) => {
            let request = RequestRegistrationRequest {
                email: EMAIL.into(),
                referral_code: None,
            };
            auth.request_registration(request).await?;
            let token = registration_token(&db).await?;
            let complete = CompleteRegistrationRequest {
                token,
                password: PASSWORD.into(),
                device: "bench".into(),
            };
            auth.complete_registration(complete)
                .await?
                .into_inner()
                .session
        }
    };
    println!(
        "{}",
        session
            .ok_or("auto-login is off; turn it on for the benchmark")?
            .access_token
    );
    Ok(())
}

/// Reads the link token from the queued email, as the customer's inbox would.
async fn registration_token(db: &sqlx::PgPool) -> Result<String, Error> {
    use prost::Message as _;
    let payload: Vec<u8> = sqlx::query_scalar(
        "SELECT payload FROM public.outbox_event WHERE routing_key = 'mailer.email.send'
         ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(db)
    .await?;
    let email = helium_mailer::events::SendEmail::decode(payload.as_slice())?;
    let start = email
        .text_body
        .find("token=")
        .ok_or("no link in the email")?
        + 6;
    Ok(email.text_body[start..]
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned())
}

async fn load(
    method: &str,
    url: &str,
    token: &str,
    concurrency: usize,
    seconds: u64,
) -> Result<f64, Error> {
    let channel = Channel::from_shared(url.to_owned())?.connect().await?;
    let calls = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (channel, calls, method) = (channel.clone(), calls.clone(), method.to_owned());
        let bearer: tonic::metadata::MetadataValue<_> = format!("Bearer {token}").parse()?;
        workers.spawn(async move {
            let mut account = AccountServiceClient::new(channel.clone());
            let mut auth = AuthServiceClient::new(channel.clone());
            let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
            while Instant::now() < deadline {
                let ok = match method.as_str() {
                    "profile" => {
                        let mut request = tonic::Request::new(GetProfileRequest {});
                        request
                            .metadata_mut()
                            .insert("authorization", bearer.clone());
                        account.get_profile(request).await.is_ok()
                    }
                    "sign-in" => {
                        let request = SignInRequest {
                            email: EMAIL.into(),
                            password: PASSWORD.into(),
                            device: "bench".into(),
                        };
                        auth.sign_in(request).await.is_ok()
                    }
                    _ => {
                        let request = tonic_health::pb::HealthCheckRequest {
                            service: String::new(),
                        };
                        health.check(request).await.is_ok()
                    }
                };
                if ok {
                    calls.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    let started = Instant::now();
    workers.join_all().await;
    Ok(calls.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64())
}
