//! The benchmarks' baseline: the least a worker can be, a Tokio runtime serving `/readyz`
//! with no dependency behind it. `bench/workers.py` measures each real worker against it in
//! the same run, so the ratios hold on any machine.

use axum::Router;
use axum::routing::get;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::var("HEALTH_CHECK_PORT")
        .ok()
        .and_then(|port| port.parse().ok())
        .unwrap_or(9090);
    let router = Router::new().route("/readyz", get(|| async { r#"{"status":"ok"}"# }));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, router).await
}
