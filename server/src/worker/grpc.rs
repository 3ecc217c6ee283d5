//! The `grpc` worker: every module's gRPC services behind one listener.
//!
//! Besides the modules' services it serves the standard `grpc.health.v1` service, server
//! reflection (v1, and v1alpha for older tools such as grpcurl 1.8), and gRPC-Web over
//! HTTP/1.1 so browser frontends can call it without a proxy.

use std::time::Duration;

use anyhow::Context;
use axum::http::{HeaderName, Method};
use helium_auth::cache::AuthCache;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_util::sync::CancellationToken;
use tonic::transport::Server;
use tonic_health::ServingStatus;
use tower_http::cors::{Any, CorsLayer};

use super::Infra;

pub async fn serve(
    listener: TcpListener,
    infra: Infra,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter
        .set_service_status("", ServingStatus::Serving)
        .await;

    // One memory of sessions and profiles for every service of this worker, kept true by the
    // database's notifications for as long as the worker runs.
    let auth_cache = AuthCache::new();
    tokio::spawn({
        let (auth_cache, db, shutdown) = (auth_cache.clone(), infra.db.clone(), shutdown.clone());
        async move { auth_cache.watch(db, shutdown).await }
    });
    let (auth, account) = helium_auth::rpc::services(
        infra.db.clone(),
        infra.redis.clone(),
        infra.configs(),
        auth_cache.clone(),
    );
    let (admin_auth, admin) = helium_manage::rpc::services(
        infra.db.clone(),
        infra.redis.clone(),
        infra.configs(),
        auth_cache,
    );

    let reflection_v1 = reflection()
        .build_v1()
        .context("building gRPC reflection")?;
    let reflection_v1alpha = reflection()
        .build_v1alpha()
        .context("building gRPC reflection (v1alpha)")?;

    let address = listener
        .local_addr()
        .context("reading the gRPC listen address")?;
    tracing::info!(%address, "gRPC server listening");

    // Report NOT_SERVING as soon as the drain starts, so balancers stop sending new calls
    // while in-flight ones finish.
    let draining = async move {
        shutdown.cancelled().await;
        health_reporter
            .set_service_status("", ServingStatus::NotServing)
            .await;
    };

    Server::builder()
        .accept_http1(true)
        .layer(cors())
        .layer(tonic_web::GrpcWebLayer::new())
        .add_service(health_service)
        .add_service(auth)
        .add_service(account)
        .add_service(admin_auth)
        .add_service(admin)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), draining)
        .await
        .context("the gRPC server failed")
}

fn reflection() -> tonic_reflection::server::Builder<'static> {
    tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(helium_auth::rpc::pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(helium_manage::rpc::FILE_DESCRIPTOR_SET)
}

/// CORS for gRPC-Web calls from browser frontends on other origins.
///
/// Any origin is allowed: callers authenticate with a bearer token, never with cookies, so a
/// foreign page gains nothing it could not do by calling the API directly. The gRPC status
/// headers are exposed so browser clients can read errors and rate-limit hints.
fn cors() -> CorsLayer {
    let exposed = [
        "grpc-status",
        "grpc-message",
        "grpc-status-details-bin",
        "retry-after",
        "x-correlation-id",
    ];
    CorsLayer::new()
        .allow_origin(Any)
        .allow_headers(Any)
        .allow_methods([Method::POST, Method::OPTIONS])
        .expose_headers(exposed.map(HeaderName::from_static))
        .max_age(Duration::from_secs(24 * 3600))
}
