//! Starting `helium-server` processes against the local services.

use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use helium_framework::testing::{TestDatabase, mq_url};
use tokio::process::{Child, Command};

/// Redis database 8 keeps the workers' configuration copies away from a development
/// instance using database 0 on the same server.
pub const TEST_REDIS_URL: &str = "redis://127.0.0.1:6379/8";

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// A running worker process, killed if the test ends without stopping it.
pub struct Worker {
    pub child: Child,
    pub health_port: u16,
}

/// The environment of a worker in `mode` using `db`, with its own free ports.
pub fn command(mode: &str, db: &TestDatabase) -> (Command, u16, u16) {
    let health_port = free_port();
    let listen_port = free_port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_helium-server"));
    command
        .env_clear()
        .env("WORK_MODE", mode)
        .env("DATABASE_URL", &db.url)
        .env("REDIS_URL", TEST_REDIS_URL)
        .env("MQ_URL", mq_url())
        .env("HEALTH_CHECK_PORT", health_port.to_string())
        .env("LISTEN_ADDR", format!("127.0.0.1:{listen_port}"))
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    (command, health_port, listen_port)
}

impl Worker {
    pub fn spawn(mut command: Command, health_port: u16) -> Self {
        let child = command.spawn().unwrap();
        Self { child, health_port }
    }

    pub fn health_url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.health_port)
    }

    /// Polls `/readyz` until it answers at all, and returns that first answer.
    pub async fn first_readiness(&self) -> (u16, serde_json::Value) {
        let client = http();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(response) = client.get(self.health_url("/readyz")).send().await {
                let status = response.status().as_u16();
                return (status, response.json().await.unwrap());
            }
            assert!(
                Instant::now() < deadline,
                "the health server never answered"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Polls `/readyz` until it answers 200.
    pub async fn wait_ready(&self) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (status, body) = self.first_readiness().await;
            if status == 200 {
                return body;
            }
            assert!(
                Instant::now() < deadline,
                "never ready; last answer {status} {body}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sends SIGTERM and waits for the process to exit.
    pub async fn terminate(self) -> ExitStatus {
        self.terminate_with_stderr().await.0
    }

    /// Sends SIGTERM, waits for the process to exit, and returns what it logged.
    pub async fn terminate_with_stderr(self) -> (ExitStatus, String) {
        let pid = self.child.id().unwrap().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(sent.success());
        let output = tokio::time::timeout(Duration::from_secs(15), self.child.wait_with_output())
            .await
            .expect("the worker did not stop within 15 s of SIGTERM")
            .unwrap();
        (
            output.status,
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }
}

/// Runs a worker that is expected to exit on its own, returning its status and stderr.
pub async fn run_to_exit(mut command: Command) -> (ExitStatus, String) {
    let output = tokio::time::timeout(Duration::from_secs(20), command.output())
        .await
        .expect("the worker should have exited")
        .unwrap();
    (
        output.status,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
