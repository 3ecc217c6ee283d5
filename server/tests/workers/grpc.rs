use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

use helium_framework::testing::TestDatabase;

use crate::process::{Worker, command, http};

#[tokio::test]
async fn the_grpc_worker_serves_health_reflection_and_grpc_web() {
    // Arrange
    let db = TestDatabase::create().await;
    let (command, health_port, listen_port) = command("grpc", &db);
    let worker = Worker::spawn(command, health_port);
    worker.wait_ready().await;
    let endpoint = format!("http://127.0.0.1:{listen_port}");

    // Act & assert: the standard health service.
    let channel = tonic::transport::Channel::from_shared(endpoint.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut health = HealthClient::new(channel.clone());
    let answer = health
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap();
    assert_eq!(answer.into_inner().status, ServingStatus::Serving as i32);

    // Server reflection lists the services.
    let mut reflection = ServerReflectionClient::new(channel);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut replies = reflection
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let reply = replies.message().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = reply.message_response else {
        panic!("unexpected reflection reply {reply:?}");
    };
    let names: Vec<_> = list
        .service
        .iter()
        .map(|service| service.name.as_str())
        .collect();
    for service in [
        "grpc.health.v1.Health",
        "helium.auth.v1.AuthService",
        "helium.auth.v1.AccountService",
        "helium.manage.v1.AdminAuthService",
        "helium.manage.v1.AdminService",
    ] {
        assert!(names.contains(&service), "{service} missing from {names:?}");
    }

    // gRPC-Web over HTTP/1.1: an empty HealthCheckRequest in one uncompressed frame.
    let response = http()
        .post(format!("{endpoint}/grpc.health.v1.Health/Check"))
        .header("content-type", "application/grpc-web+proto")
        .header("x-grpc-web", "1")
        .body(vec![0u8, 0, 0, 0, 0])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body = response.bytes().await.unwrap();
    let preflight = http()
        .request(
            reqwest::Method::OPTIONS,
            format!("{endpoint}/grpc.health.v1.Health/Check"),
        )
        .header("origin", "https://app.example.com")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type,x-grpc-web,authorization",
        )
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    let trailers = String::from_utf8_lossy(&body);
    assert!(trailers.contains("grpc-status:0"), "{trailers}");

    assert!(worker.terminate().await.success());
    db.drop_database().await;
}
