//! `GET /api/health` (get_health): 200 in seed 003's shape, 503 when the database is
//! unreachable, 429 past the budget.

use meridian::types::{HealthResponseStatus, HealthServicesDatabase, HealthServicesRedis};
use meridian_contract_tests::TestServer;
use meridian_contract_tests::server::{Database, postgres_url, redis_url, services_required, unique_name};
use meridian_server::ratelimit::RateLimitMode;

#[tokio::test]
async fn healthy_server_reports_every_service_in_the_seed_shape() {
    let server = TestServer::start().await;
    let health = server.client().get_health().await.expect("200").into_inner();
    assert!(health.success);
    assert_eq!(health.status, HealthResponseStatus::Healthy);
    assert_eq!(health.services.database, HealthServicesDatabase::Up);
    assert_eq!(health.services.redis, HealthServicesRedis::NotConfigured);
    assert_eq!(health.version, env!("CARGO_PKG_VERSION"));
    assert!(health.request_id.starts_with("req-"), "{}", health.request_id);
}

#[tokio::test]
async fn the_request_id_in_the_body_is_the_callers() {
    let server = TestServer::start().await;
    let response = server
        .http()
        .get(format!("{}/api/health", server.url))
        .header("x-request-id", "contract-test.42")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "contract-test.42");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["request_id"], "contract-test.42");
    assert!(body["timestamp"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn redis_is_probed_when_configured() {
    let Some(redis) = redis_url() else {
        assert!(!services_required(), "CI must provide REDIS_URL");
        eprintln!("skipped: REDIS_URL not set");
        return;
    };
    let server = TestServer::builder()
        .redis(&redis, &unique_name("health"))
        .start()
        .await;
    let health = server.client().get_health().await.expect("200").into_inner();
    assert_eq!(health.services.redis, HealthServicesRedis::Up);
}

#[tokio::test]
async fn an_unreachable_database_is_a_503_with_the_health_fields() {
    // A pool of one connection, held by the test: the probe cannot get a connection within
    // the one-second timeout, exactly as when the database stops answering.
    let server = TestServer::builder().pool(1, 1).start().await;
    let held = server.state().db.conn().await.expect("the only connection");
    let error = server.client().get_health().await.expect_err("503");
    let meridian::generated::Error::ErrorResponse(response) = error else {
        panic!("expected an error response: {error:?}")
    };
    assert_eq!(response.status().as_u16(), 503);
    assert!(response.headers().contains_key("retry-after"));
    let body = response.into_inner();
    assert!(!body.success);
    assert_eq!(body.error, "Service Unavailable");
    // The health fields beside the error body are not in the SDK's `ApiErrorBody` type
    // (extra fields are documented, not typed); read them raw.
    let raw: serde_json::Value = server
        .http()
        .get(format!("{}/api/health", server.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(raw["status"], "degraded", "{raw}");
    assert_eq!(raw["services"]["database"], "down");
    assert_eq!(raw["error"], "Service Unavailable");
    drop(held);
    // With the connection back the server is healthy again, without a restart.
    let health = server.client().get_health().await.expect("200 again").into_inner();
    assert_eq!(health.status, HealthResponseStatus::Healthy);
}

#[tokio::test]
async fn a_dropped_postgres_database_is_a_503() {
    let Some(base) = postgres_url() else {
        assert!(!services_required(), "CI must provide TEST_DATABASE_URL");
        eprintln!("skipped: TEST_DATABASE_URL not set");
        return;
    };
    let name = unique_name("meridian_test");
    let url = meridian_server::db::admin::create_database(&base, &name).await.unwrap();
    let server = TestServer::builder()
        .database(Database::Url(url))
        .pool(2, 1)
        .start()
        .await;
    server.client().get_health().await.expect("healthy first");
    meridian_server::db::admin::drop_database(&base, &name).await.unwrap();
    let error = server
        .client()
        .get_health()
        .await
        .expect_err("503 once the database is gone");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503), "{error:?}");
}

#[tokio::test]
async fn the_101st_request_in_an_hour_is_refused_with_429() {
    let server = TestServer::builder()
        .rate_limits(RateLimitMode::Scaled(1))
        .start()
        .await;
    let client = server.client();
    // Count within one window; should the hourly window roll over mid-test, count afresh.
    let (mut window, mut in_window) = (String::new(), 0u64);
    for _ in 0..250 {
        match client.get_health().await {
            Ok(ok) => {
                let reset = ok.headers()["x-ratelimit-reset"].to_str().unwrap().to_owned();
                if reset != window {
                    (window, in_window) = (reset, 0);
                }
                in_window += 1;
                assert_eq!(ok.headers()["x-ratelimit-limit"], "100");
                assert_eq!(
                    ok.headers()["x-ratelimit-remaining"].to_str().unwrap(),
                    (100 - in_window).to_string()
                );
            }
            Err(meridian::generated::Error::ErrorResponse(response)) => {
                assert_eq!(response.status().as_u16(), 429);
                assert_eq!(in_window, 100, "refused after {in_window} requests in the window");
                let retry_after: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
                assert!((1..=3600).contains(&retry_after));
                assert_eq!(response.headers()["x-ratelimit-remaining"], "0");
                assert_eq!(response.into_inner().error, "Rate Limit Exceeded");
                return;
            }
            Err(other) => panic!("{other:?}"),
        }
    }
    panic!("no 429 after 250 requests");
}
