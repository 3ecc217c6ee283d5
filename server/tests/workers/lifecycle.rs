use helium_framework::testing::TestDatabase;
use serde_json::json;

use crate::process::{Worker, command, free_port, http, run_to_exit};

const MODES: [&str; 7] = [
    "grpc",
    "subscribe_api",
    "webhook_api",
    "consumer",
    "mailer",
    "cron_executor",
    "all_in_one",
];

#[tokio::test]
async fn every_worker_mode_becomes_ready_and_stops_cleanly_on_sigterm() {
    let db = TestDatabase::create().await;

    for mode in MODES {
        // Arrange
        let (mut command, health_port, _) = command(mode, &db);
        if mode == "all_in_one" {
            command
                .env("GRPC_LISTEN_ADDR", format!("127.0.0.1:{}", free_port()))
                .env(
                    "SUBSCRIBE_LISTEN_ADDR",
                    format!("127.0.0.1:{}", free_port()),
                )
                .env("WEBHOOK_LISTEN_ADDR", format!("127.0.0.1:{}", free_port()));
        }
        let worker = Worker::spawn(command, health_port);

        // Act
        let readiness = worker.wait_ready().await;
        let liveness: serde_json::Value = http()
            .get(worker.health_url("/healthz"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let metrics = http()
            .get(worker.health_url("/metrics"))
            .send()
            .await
            .unwrap();

        // Assert
        assert_eq!(
            readiness,
            json!({"status": "ok", "database": "ok", "redis": "ok", "rabbitmq": "ok"}),
            "{mode}"
        );
        assert_eq!(liveness, json!({"status": "ok"}), "{mode}");
        assert_eq!(metrics.status(), 200, "{mode}");
        let status = worker.terminate().await;
        assert!(status.success(), "{mode} exited with {status}");
    }
    db.drop_database().await;
}

#[tokio::test]
async fn readiness_fails_with_503_naming_redis_when_redis_is_unreachable() {
    let db = TestDatabase::create().await;
    let (mut command, health_port, _) = command("consumer", &db);
    command.env("REDIS_URL", format!("redis://127.0.0.1:{}", free_port()));
    let worker = Worker::spawn(command, health_port);

    let (status, body) = worker.first_readiness().await;

    assert_eq!(status, 503);
    assert_eq!(body["status"], "error");
    assert_eq!(body["database"], "ok");
    assert_eq!(body["redis"], "error");
    assert_eq!(body["rabbitmq"], "ok");
    let error = body["error"].as_str().unwrap();
    assert!(error.starts_with("Redis error: "), "{error}");
    assert!(worker.terminate().await.success());
    db.drop_database().await;
}

#[tokio::test]
async fn readiness_names_postgres_and_rabbitmq_when_they_are_unreachable() {
    let db = TestDatabase::create().await;
    let (mut command, health_port, _) = command("cron_executor", &db);
    command
        .env(
            "DATABASE_URL",
            format!("postgres://postgres@127.0.0.1:{}/helium", free_port()),
        )
        .env(
            "MQ_URL",
            format!("amqp://guest:guest@127.0.0.1:{}/%2f", free_port()),
        );
    let worker = Worker::spawn(command, health_port);

    let (status, body) = worker.first_readiness().await;

    assert_eq!(status, 503);
    assert_eq!(
        (&body["database"], &body["redis"], &body["rabbitmq"]),
        (&json!("error"), &json!("ok"), &json!("error"))
    );
    let error = body["error"].as_str().unwrap();
    assert!(
        error.contains("Database error: ") && error.contains("RabbitMQ error: "),
        "{error}"
    );
    assert!(worker.terminate().await.success());
    db.drop_database().await;
}

#[tokio::test]
async fn a_missing_or_invalid_variable_stops_the_process_with_one_line_naming_it() {
    let db = TestDatabase::create().await;
    let cases = [
        (
            "MQ_URL",
            None,
            "error: environment variable MQ_URL is not set",
        ),
        (
            "WORK_MODE",
            Some("grpcc"),
            "error: environment variable WORK_MODE is invalid: \"grpcc\"",
        ),
        (
            "HEALTH_CHECK_PORT",
            Some("ninety"),
            "error: environment variable HEALTH_CHECK_PORT is invalid",
        ),
        (
            "SCAN_INTERVAL",
            Some("0"),
            "error: environment variable SCAN_INTERVAL is invalid",
        ),
        (
            "DATABASE_URL",
            Some("mysql://nowhere"),
            "error: environment variable DATABASE_URL is invalid",
        ),
        (
            "REDIS_URL",
            Some("http://nowhere"),
            "error: environment variable REDIS_URL is invalid",
        ),
        (
            "MQ_URL",
            Some("nowhere"),
            "error: environment variable MQ_URL is invalid",
        ),
    ];

    for (variable, value, expected) in cases {
        let (mut command, _, _) = command("cron_executor", &db);
        match value {
            Some(value) => command.env(variable, value),
            None => command.env_remove(variable),
        };

        let (status, stderr) = run_to_exit(command).await;

        assert_eq!(status.code(), Some(2), "{variable}");
        assert_eq!(stderr.lines().count(), 1, "{variable}: {stderr}");
        assert!(stderr.starts_with(expected), "{variable}: {stderr}");
    }
    db.drop_database().await;
}

#[tokio::test]
async fn an_api_worker_whose_port_is_taken_exits_with_an_error() {
    let db = TestDatabase::create().await;
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let (mut command, _, _) = command("subscribe_api", &db);
    command.env("LISTEN_ADDR", taken.local_addr().unwrap().to_string());

    let (status, stderr) = run_to_exit(command).await;

    assert_eq!(status.code(), Some(1));
    assert!(stderr.contains("cannot listen on"), "{stderr}");
    db.drop_database().await;
}

#[tokio::test]
async fn the_rest_workers_answer_unknown_paths_with_a_json_404() {
    let db = TestDatabase::create().await;
    for mode in ["subscribe_api", "webhook_api"] {
        let (command, health_port, listen_port) = command(mode, &db);
        let worker = Worker::spawn(command, health_port);
        worker.wait_ready().await;

        let url = format!("http://127.0.0.1:{listen_port}/nothing/here");
        let response = http().get(url).send().await.unwrap();

        assert_eq!(response.status(), 404, "{mode}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body, json!({"error": "no route for /nothing/here"}));
        assert!(worker.terminate().await.success());
    }
    db.drop_database().await;
}

#[tokio::test]
async fn an_unusable_telemetry_collector_leaves_a_warning_and_plain_logs() {
    let db = TestDatabase::create().await;
    let (mut command, health_port, _) = command("consumer", &db);
    command
        .env("OTEL_COLLECTOR", "not a collector address")
        .env("RUST_LOG", "warn");
    let worker = Worker::spawn(command, health_port);

    let readiness = worker.wait_ready().await;
    let (status, stderr) = worker.terminate_with_stderr().await;

    assert_eq!(readiness["status"], "ok");
    assert!(status.success());
    assert!(
        stderr.contains("Failed to initialize OpenTelemetry"),
        "{stderr}"
    );
    db.drop_database().await;
}
