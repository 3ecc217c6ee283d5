//! Worker configuration and dispatch.
//!
//! Every mode shares the same start: lazy connections to PostgreSQL, Redis and RabbitMQ, the
//! health server on `HEALTH_CHECK_PORT`, and the watcher that keeps the Redis copy of module
//! configuration fresh. Then the mode's own components run until SIGTERM or until one of them
//! fails. API modes end the process when their server ends, taking the health server with
//! them, so a pod never reports healthy without serving.

mod consumer;
mod cron_executor;
mod grpc;
mod mailer;
mod rest;

use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use helium_framework::amqp::AmqpConnection;
use helium_framework::config::ConfigStore;
use helium_framework::env::{self, EnvError};
use helium_framework::health::{self, Dependencies};
use helium_framework::redis::RedisConnection;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// The worker modes `WORK_MODE` selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkMode {
    Grpc,
    SubscribeApi,
    WebhookApi,
    Consumer,
    Mailer,
    CronExecutor,
    /// Every worker in one process with one health server: for development and small sites.
    AllInOne,
}

impl WorkMode {
    const NAMES: &'static str =
        "grpc, subscribe_api, webhook_api, consumer, mailer, cron_executor, all_in_one";

    /// The OpenTelemetry service name.
    pub fn service_name(self) -> &'static str {
        match self {
            Self::Grpc => "Helium.grpc",
            Self::SubscribeApi => "Helium.subscribe-api",
            Self::WebhookApi => "Helium.webhook-api",
            Self::Consumer => "Helium.consumer",
            Self::Mailer => "Helium.mailer",
            Self::CronExecutor => "Helium.cron-executor",
            Self::AllInOne => "Helium.all-in-one",
        }
    }
}

impl FromStr for WorkMode {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.trim() {
            "grpc" => Ok(Self::Grpc),
            "subscribe_api" => Ok(Self::SubscribeApi),
            "webhook_api" => Ok(Self::WebhookApi),
            "consumer" => Ok(Self::Consumer),
            "mailer" => Ok(Self::Mailer),
            "cron_executor" => Ok(Self::CronExecutor),
            "all_in_one" => Ok(Self::AllInOne),
            other => Err(format!("{other:?} is not one of {}", Self::NAMES)),
        }
    }
}

/// Everything the process reads from its environment.
pub struct WorkerArgs {
    pub mode: WorkMode,
    database_url: String,
    redis_url: String,
    mq_url: String,
    health_port: u16,
    scan_interval: Duration,
    grpc_addr: SocketAddr,
    subscribe_addr: SocketAddr,
    webhook_addr: SocketAddr,
    pub otel_collector: Option<String>,
}

impl WorkerArgs {
    /// Reads and checks the environment; the error names the first bad variable.
    pub fn load_from_env() -> Result<Self, EnvError> {
        let mode = env::required("WORK_MODE")?
            .parse::<WorkMode>()
            .map_err(|reason| EnvError::Invalid {
                name: "WORK_MODE",
                reason,
            })?;
        let database_url = env::required("DATABASE_URL")?;
        let redis_url = env::required("REDIS_URL")?;
        let mq_url = env::required("MQ_URL")?;
        check_urls(&database_url, &redis_url, &mq_url)?;
        let health_port = env::parsed_or("HEALTH_CHECK_PORT", 9090u16)?;
        let scan_seconds = env::parsed_or("SCAN_INTERVAL", 60u64)?;
        if scan_seconds == 0 {
            let reason = "must be at least 1 second".to_owned();
            return Err(EnvError::Invalid {
                name: "SCAN_INTERVAL",
                reason,
            });
        }

        // LISTEN_ADDR moves the one API listener of a single-API mode. The all-in-one mode
        // has three, so each has its own variable there.
        let (grpc_var, subscribe_var, webhook_var) = match mode {
            WorkMode::AllInOne => (
                "GRPC_LISTEN_ADDR",
                "SUBSCRIBE_LISTEN_ADDR",
                "WEBHOOK_LISTEN_ADDR",
            ),
            _ => ("LISTEN_ADDR", "LISTEN_ADDR", "LISTEN_ADDR"),
        };
        Ok(Self {
            mode,
            database_url,
            redis_url,
            mq_url,
            health_port,
            scan_interval: Duration::from_secs(scan_seconds),
            grpc_addr: env::parsed_or(grpc_var, SocketAddr::from(([0, 0, 0, 0], 50051)))?,
            subscribe_addr: env::parsed_or(subscribe_var, SocketAddr::from(([0, 0, 0, 0], 8080)))?,
            webhook_addr: env::parsed_or(webhook_var, SocketAddr::from(([0, 0, 0, 0], 8081)))?,
            otel_collector: std::env::var("OTEL_COLLECTOR")
                .ok()
                .filter(|url| !url.is_empty()),
        })
    }
}

/// Refuses a malformed connection URL at start-up, where the error can name its variable.
/// The reasons come from the URL parsers, which never repeat the URL (it may hold a password).
fn check_urls(database_url: &str, redis_url: &str, mq_url: &str) -> Result<(), EnvError> {
    let invalid = |name, reason: String| EnvError::Invalid { name, reason };
    if !(database_url.starts_with("postgres://") || database_url.starts_with("postgresql://")) {
        let reason = "must start with postgres:// or postgresql://".to_owned();
        return Err(invalid("DATABASE_URL", reason));
    }
    database_url
        .parse::<PgConnectOptions>()
        .map_err(|error| invalid("DATABASE_URL", error.to_string()))?;
    RedisConnection::validate_url(redis_url)
        .map_err(|error| invalid("REDIS_URL", error.to_string()))?;
    AmqpConnection::validate_url(mq_url).map_err(|error| invalid("MQ_URL", error.to_string()))?;
    Ok(())
}

/// The shared connections of a worker process.
#[derive(Clone)]
pub struct Infra {
    pub db: PgPool,
    pub redis: RedisConnection,
    pub amqp: AmqpConnection,
}

impl Infra {
    /// Builds the pools without connecting: a dependency that is down makes the worker
    /// unready, not dead, and it recovers by itself when the dependency returns.
    fn connect_lazy(args: &WorkerArgs) -> anyhow::Result<Self> {
        let db = PgPoolOptions::new()
            .max_connections(10)
            .acquire_timeout(Duration::from_secs(3))
            .connect_lazy(&args.database_url)
            .context("DATABASE_URL is not a valid PostgreSQL URL")?;
        let redis = RedisConnection::new(&args.redis_url).context("REDIS_URL is invalid")?;
        let amqp = AmqpConnection::new(&args.mq_url).context("MQ_URL is invalid")?;
        Ok(Self { db, redis, amqp })
    }

    pub fn configs(&self) -> ConfigStore {
        ConfigStore::new(self.db.clone(), self.redis.clone())
    }
}

/// Runs the worker until SIGTERM, or until one of its components stops.
pub async fn run(args: WorkerArgs) -> anyhow::Result<()> {
    let infra = Infra::connect_lazy(&args)?;
    let shutdown = helium_framework::shutdown::on_signal();
    let health_listener = bind(
        SocketAddr::from(([0, 0, 0, 0], args.health_port)),
        "HEALTH_CHECK_PORT",
    )
    .await?;

    // Bind every API port before starting anything, so a port in use fails the start at once.
    let mut components = JoinSet::new();
    let serves_grpc = matches!(args.mode, WorkMode::Grpc | WorkMode::AllInOne);
    let serves_subscribe = matches!(args.mode, WorkMode::SubscribeApi | WorkMode::AllInOne);
    let serves_webhook = matches!(args.mode, WorkMode::WebhookApi | WorkMode::AllInOne);
    if serves_grpc {
        let listener = bind(args.grpc_addr, "the gRPC listen address").await?;
        components.spawn(grpc::serve(listener, infra.clone(), shutdown.clone()));
    }
    if serves_subscribe {
        let listener = bind(args.subscribe_addr, "the subscribe API listen address").await?;
        components.spawn(rest::serve(
            listener,
            rest::subscribe_router(),
            shutdown.clone(),
        ));
    }
    if serves_webhook {
        let listener = bind(args.webhook_addr, "the webhook API listen address").await?;
        components.spawn(rest::serve(
            listener,
            rest::webhook_router(),
            shutdown.clone(),
        ));
    }
    if matches!(args.mode, WorkMode::Consumer | WorkMode::AllInOne) {
        components.spawn(consumer::run(infra.clone(), shutdown.clone()));
    }
    if matches!(args.mode, WorkMode::Mailer | WorkMode::AllInOne) {
        components.spawn(mailer::run(infra.clone(), shutdown.clone()));
    }
    if matches!(args.mode, WorkMode::CronExecutor | WorkMode::AllInOne) {
        components.spawn(cron_executor::run(
            infra.clone(),
            args.scan_interval,
            shutdown.clone(),
        ));
    }
    let configs = infra.configs();
    let watcher_shutdown = shutdown.clone();
    let watcher = tokio::spawn(async move { configs.watch(watcher_shutdown).await });

    let dependencies = Dependencies {
        db: infra.db.clone(),
        redis: infra.redis,
        amqp: infra.amqp,
    };
    let router = health::router(dependencies, helium_framework::telemetry::metrics_handle());
    let health_shutdown = shutdown.clone();
    let health = tokio::spawn(async move {
        health::serve(health_listener, router, health_shutdown.cancelled_owned()).await
    });
    tracing::info!(mode = ?args.mode, health_port = args.health_port, "worker started");

    let result = wait_for_components(&mut components, &shutdown).await;

    // Whatever ended the components, nothing else may keep running: above all not the health
    // server, which would otherwise report a worker that no longer works as alive.
    shutdown.cancel();
    health.abort();
    let _ = watcher.await;
    infra.db.close().await;
    tracing::info!("worker stopped");
    result
}

/// Waits until every component has finished. The first one to stop, with or without an error,
/// stops the others.
async fn wait_for_components(
    components: &mut JoinSet<anyhow::Result<()>>,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    let mut first_error = None;
    while let Some(joined) = components.join_next().await {
        let result = joined
            .context("a worker component panicked")
            .and_then(|result| result);
        if !shutdown.is_cancelled() {
            tracing::warn!("a worker component stopped; stopping the others");
            shutdown.cancel();
        }
        if let Err(error) = result
            && first_error.is_none()
        {
            first_error = Some(error);
        }
    }
    first_error.map_or(Ok(()), Err)
}

async fn bind(address: SocketAddr, what: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot listen on {address} ({what})"))
}
