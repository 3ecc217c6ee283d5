//! Logging, tracing and metrics setup shared by every binary.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Flushes pending spans when the process ends; keep it alive in `main`.
#[must_use = "dropping the guard at once stops span export"]
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take()
            && let Err(error) = provider.shutdown()
        {
            tracing::warn!(%error, "flushing traces on exit failed");
        }
    }
}

/// Installs logging (`RUST_LOG`, default `info`) and, when `otel_collector` is set, span
/// export to that OTLP/gRPC endpoint under `service_name`.
///
/// Tracing is an aid, not a dependency: if the exporter cannot be set up the process warns
/// and continues with plain logs. Must run inside the Tokio runtime (the exporter uses it).
pub fn init(service_name: &str, otel_collector: Option<&str>) -> TelemetryGuard {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Colour codes only help a human at a terminal; collectors get plain text.
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let fmt = tracing_subscriber::fmt::layer()
        .with_target(true)
        .with_ansi(colour)
        .with_writer(std::io::stderr);

    let exporter = otel_collector.map(|endpoint| {
        opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint)
            .build()
    });
    let (provider, otel_error) = match exporter {
        Some(Ok(exporter)) => {
            let resource = Resource::builder()
                .with_service_name(service_name.to_owned())
                .build();
            let provider = SdkTracerProvider::builder()
                .with_batch_exporter(exporter)
                .with_resource(resource)
                .build();
            (Some(provider), None)
        }
        Some(Err(error)) => (None, Some(error)),
        None => (None, None),
    };

    let otel = provider
        .as_ref()
        .map(|provider| tracing_opentelemetry::layer().with_tracer(provider.tracer("helium")));
    // `try_init` fails only if a subscriber is already installed (tests); keep that one.
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .with(otel)
        .try_init();

    if let Some(error) = otel_error {
        tracing::warn!(%error, "Failed to initialize OpenTelemetry; continuing with plain logs");
    } else if provider.is_some() {
        tracing::info!(
            service_name,
            "exporting traces to the OpenTelemetry collector"
        );
    }
    TelemetryGuard { provider }
}

/// The process-wide Prometheus recorder, installed on first use.
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            // Fails only if another recorder was installed first; the handle still renders.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}
