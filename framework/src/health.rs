//! The health server every worker runs on `HEALTH_CHECK_PORT`.
//!
//! - `/healthz` answers as long as the process serves HTTP: the liveness probe.
//! - `/readyz` checks PostgreSQL, Redis and RabbitMQ and answers 503 naming the failing
//!   dependency: the readiness probe.
//! - `/metrics` renders the process's Prometheus metrics.
//!
//! The bodies carry dependency states and the connection error only: no versions, addresses
//! or credentials.

use std::future::Future;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use metrics_exporter_prometheus::PrometheusHandle;
use serde::Serialize;
use sqlx::PgPool;
use tokio::net::TcpListener;

use crate::amqp::AmqpConnection;
use crate::redis::RedisConnection;

/// How long one dependency check may take before it counts as failed. Kubernetes' default
/// probe timeout is one second longer than the longest check, so a slow dependency reports
/// itself as an error rather than as a probe timeout.
const CHECK_TIMEOUT: Duration = Duration::from_secs(3);

/// The connections the readiness probe checks.
#[derive(Clone)]
pub struct Dependencies {
    pub db: PgPool,
    pub redis: RedisConnection,
    pub amqp: AmqpConnection,
}

#[derive(Clone)]
struct HealthState {
    dependencies: Dependencies,
    metrics: PrometheusHandle,
}

#[derive(Serialize)]
struct Liveness {
    status: &'static str,
}

/// The `/readyz` body, field order as documented.
#[derive(Serialize, Debug, PartialEq, Eq)]
pub struct Readiness {
    pub status: &'static str,
    pub database: &'static str,
    pub redis: &'static str,
    pub rabbitmq: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Builds the health router.
pub fn router(dependencies: Dependencies, metrics: PrometheusHandle) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(render_metrics))
        .with_state(HealthState {
            dependencies,
            metrics,
        })
}

/// Serves the health router on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}

async fn healthz() -> Json<Liveness> {
    Json(Liveness { status: "ok" })
}

async fn readyz(State(state): State<HealthState>) -> impl IntoResponse {
    let readiness = check(&state.dependencies).await;
    let code = if readiness.error.is_none() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, Json(readiness))
}

async fn render_metrics(State(state): State<HealthState>) -> impl IntoResponse {
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}

/// Checks the three dependencies concurrently.
pub async fn check(dependencies: &Dependencies) -> Readiness {
    let (database, redis, rabbitmq) = tokio::join!(
        bounded(async {
            sqlx::query("SELECT 1")
                .execute(&dependencies.db)
                .await
                .map(drop)
        }),
        bounded(dependencies.redis.ping()),
        bounded(dependencies.amqp.check()),
    );

    let errors: Vec<String> = [
        ("Database", &database),
        ("Redis", &redis),
        ("RabbitMQ", &rabbitmq),
    ]
    .into_iter()
    .filter_map(|(name, result)| {
        result
            .as_ref()
            .err()
            .map(|error| format!("{name} error: {error}"))
    })
    .collect();
    let state = |result: &Result<(), String>| if result.is_ok() { "ok" } else { "error" };
    Readiness {
        status: if errors.is_empty() { "ok" } else { "error" },
        database: state(&database),
        redis: state(&redis),
        rabbitmq: state(&rabbitmq),
        error: if errors.is_empty() {
            None
        } else {
            Some(errors.join("; "))
        },
    }
}

async fn bounded<E: std::fmt::Display>(
    check: impl Future<Output = Result<(), E>>,
) -> Result<(), String> {
    match tokio::time::timeout(CHECK_TIMEOUT, check).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err(format!(
            "no answer within {} seconds",
            CHECK_TIMEOUT.as_secs()
        )),
    }
}
