//! The signal that starts a graceful stop.

use tokio_util::sync::CancellationToken;

/// Returns a token that is cancelled on SIGTERM (Kubernetes, Docker) or SIGINT (Ctrl-C).
///
/// Servers stop accepting and finish in-flight requests when it fires; consumers finish the
/// message in hand. Handing out one token instead of listening for signals in each task keeps
/// the order of a stop under the caller's control.
pub fn on_signal() -> CancellationToken {
    let token = CancellationToken::new();
    let trigger = token.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutdown signal received, draining");
        trigger.cancel();
    });
    token
}

async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};

    let Ok(mut terminate) = signal(SignalKind::terminate()) else {
        // Without a SIGTERM handler, Ctrl-C is the only way to ask for a stop.
        let _ = tokio::signal::ctrl_c().await;
        return;
    };
    tokio::select! {
        _ = terminate.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
