//! `helium-server`: runs the worker that `WORK_MODE` names.
//!
//! `main` reads the environment, sets up telemetry and hands over to [`worker::run`]. A bad
//! environment stops the process with status 2 and one line naming the variable; a failure
//! after start-up exits with status 1.

#![forbid(unsafe_code)]
#![forbid(clippy::unwrap_used)]
#![deny(clippy::expect_used)]
#![deny(clippy::panic)]

mod jobs;
mod worker;

use std::process::ExitCode;

use worker::WorkerArgs;

fn main() -> ExitCode {
    let args = match WorkerArgs::load_from_env() {
        Ok(args) => args,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };

    runtime.block_on(async {
        let _telemetry = helium_framework::telemetry::init(
            args.mode.service_name(),
            args.otel_collector.as_deref(),
        );
        match worker::run(args).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                tracing::error!(error.cause_chain = ?error, "worker stopped with an error");
                eprintln!("error: {error:#}");
                ExitCode::FAILURE
            }
        }
    })
}
