//! The gRPC benchmark's baseline: a tonic server on the same runtime set-up as
//! `helium-server`, answering `grpc.health.v1.Health/Check` and nothing else.
//! `bench/auth.py` compares Helium's authenticated profile read against it.

use tokio_stream::wrappers::TcpListenerStream;
use tonic_health::ServingStatus;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let address = std::env::var("LISTEN_ADDR").unwrap_or_else(|_| "127.0.0.1:50061".to_owned());
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter
        .set_service_status("", ServingStatus::Serving)
        .await;
    let listener = tokio::net::TcpListener::bind(address).await?;
    tonic::transport::Server::builder()
        .add_service(health)
        .serve_with_incoming(TcpListenerStream::new(listener))
        .await?;
    Ok(())
}
