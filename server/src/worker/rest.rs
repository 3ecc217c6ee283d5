//! The REST workers: `subscribe_api` for proxy clients and `webhook_api` for gateways.
//!
//! Their routes arrive with the telecom and shop modules; until then each answers every path
//! with a JSON 404, so a misrouted client gets a clear answer instead of a hung connection.

use anyhow::Context;
use axum::Json;
use axum::Router;
use axum::http::{StatusCode, Uri};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::trace::TraceLayer;

/// The subscription API's routes.
pub fn subscribe_router() -> Router {
    Router::new()
        .fallback(not_found)
        .layer(TraceLayer::new_for_http())
}

/// The webhook API's routes.
pub fn webhook_router() -> Router {
    Router::new()
        .fallback(not_found)
        .layer(TraceLayer::new_for_http())
}

async fn not_found(uri: Uri) -> (StatusCode, Json<serde_json::Value>) {
    let body = serde_json::json!({ "error": format!("no route for {}", uri.path()) });
    (StatusCode::NOT_FOUND, Json(body))
}

pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let address = listener
        .local_addr()
        .context("reading the REST listen address")?;
    tracing::info!(%address, "REST server listening");
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
        .context("the REST server failed")
}
