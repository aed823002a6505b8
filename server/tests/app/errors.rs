//! The one error shape for poem-openapi's own failures: bad JSON, a wrong type, a missing or
//! unknown field, a missing bearer token — each a JSON body with the request id and, for
//! fields, `errors[]` naming the field. Exercised through a small probe API built with the
//! same `ApiResult` machinery every operation uses, inside the real middleware.

use std::sync::Arc;

use meridian_server::error::{ApiError, ApiResult};
use meridian_server::http::validate::BodySchemas;
use poem::test::TestClient;
use poem::{EndpointExt, Route};
use poem_openapi::auth::Bearer;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi, OpenApiService, SecurityScheme};
use serde_json::Value;

use crate::support::fresh;

meridian_server::error_statuses!(ProbeErrors: 400, 401, 409, 413, 429, 500, 503);

/// A body with two required fields.
#[derive(Object)]
#[oai(deny_unknown_fields)]
struct ProbeBody {
    /// A string.
    email: String,
    /// A number.
    amount: i64,
}

/// Bearer auth for the probe.
#[derive(SecurityScheme)]
#[oai(ty = "bearer")]
struct ProbeAuth(Bearer);

struct ProbeApi;

#[OpenApi]
impl ProbeApi {
    /// Echoes the body, or a conflict when asked.
    #[oai(path = "/api/probe", method = "post")]
    async fn probe(&self, body: Json<ProbeBody>) -> ApiResult<Json<i64>, ProbeErrors> {
        if body.email == "taken@example.com" {
            return Err(ApiError::Conflict("That email is taken.".into()).into());
        }
        Ok(Json(body.amount).into())
    }

    /// Needs a token.
    #[oai(path = "/api/probe/secured", method = "get")]
    async fn secured(&self, auth: ProbeAuth) -> ApiResult<Json<String>, ProbeErrors> {
        Ok(Json(auth.0.token).into())
    }
}

async fn client() -> (TestClient<impl poem::Endpoint>, crate::support::Fresh) {
    let fresh = fresh("sqlite", 2).await;
    let service = OpenApiService::new(ProbeApi, "probe", "1");
    // The probe's own spec stands in for the bundle: bodies are validated against it.
    let spec: Value = serde_json::from_str(&service.spec()).unwrap();
    let served = BodySchemas::served_operations(&spec);
    let schemas = BodySchemas::new(&spec, &served).unwrap();
    let routes = meridian_server::http::routes::Routes::new(&spec);
    let app = meridian_server::http::middleware(
        Route::new().nest("/", service).boxed(),
        &fresh.state,
        Arc::new(schemas),
        Arc::new(routes),
    );
    (TestClient::new(app), fresh)
}

/// Asserts the one error shape and returns the body.
async fn error(response: poem::test::TestResponse, status: u16) -> Value {
    response.assert_status(poem::http::StatusCode::from_u16(status).unwrap());
    response.assert_content_type("application/json");
    let id = response
        .0
        .headers()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.0.into_body().into_json().await.unwrap();
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["request_id"], id.as_str(), "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    body
}

fn fields(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|a| a.iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn garbage_json_is_a_400_in_the_error_shape() {
    let (cli, _db) = client().await;
    let r = cli
        .post("/api/probe")
        .content_type("application/json")
        .body("{not json")
        .send()
        .await;
    let body = error(r, 400).await;
    assert_eq!(body["error"], "Bad Request");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_type_names_the_field() {
    let (cli, _db) = client().await;
    let r = cli
        .post("/api/probe")
        .body_json(&serde_json::json!({"email": "a@b.c", "amount": "lots"}))
        .send()
        .await;
    let body = error(r, 400).await;
    assert_eq!(fields(&body), vec!["amount"], "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_field_names_the_field() {
    let (cli, _db) = client().await;
    let r = cli
        .post("/api/probe")
        .body_json(&serde_json::json!({"amount": 5}))
        .send()
        .await;
    let body = error(r, 400).await;
    assert_eq!(fields(&body), vec!["email"], "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_field_is_refused_and_named() {
    let (cli, _db) = client().await;
    let r = cli
        .post("/api/probe")
        .body_json(&serde_json::json!({"email": "a@b.c", "amount": 5, "amonut": 6}))
        .send()
        .await;
    let body = error(r, 400).await;
    assert!(body["message"].as_str().unwrap().contains("amonut"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_content_type_is_a_json_error() {
    let (cli, _db) = client().await;
    let r = cli
        .post("/api/probe")
        .content_type("text/plain")
        .body("hello")
        .send()
        .await;
    let status = r.0.status().as_u16();
    assert!(matches!(status, 400 | 415), "{status}");
    error(r, status).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_token_is_a_401_in_the_error_shape() {
    let (cli, _db) = client().await;
    let body = error(cli.get("/api/probe/secured").send().await, 401).await;
    assert_eq!(body["error"], "Unauthorized");
    let ok = cli
        .get("/api/probe/secured")
        .header("authorization", "Bearer abc")
        .send()
        .await;
    ok.assert_status_is_ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn handler_errors_keep_their_status_and_message() {
    let (cli, _db) = client().await;
    let r = cli
        .post("/api/probe")
        .body_json(&serde_json::json!({"email": "taken@example.com", "amount": 1}))
        .send()
        .await;
    let body = error(r, 409).await;
    assert_eq!(body["message"], "That email is taken.");
    let ok = cli
        .post("/api/probe")
        .body_json(&serde_json::json!({"email": "a@b.c", "amount": 7}))
        .send()
        .await;
    ok.assert_status_is_ok();
    ok.assert_json(7).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_over_the_limit_is_a_413() {
    let (cli, _db) = client().await;
    let big = format!("{{\"email\": \"{}\", \"amount\": 1}}", "x".repeat(8000));
    error(
        cli.post("/api/probe")
            .content_type("application/json")
            .body(big)
            .send()
            .await,
        413,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_supplied_request_id_is_used_in_the_body() {
    let (cli, _db) = client().await;
    let r = cli
        .post("/api/probe")
        .header("x-request-id", "trace-7")
        .content_type("application/json")
        .body("[")
        .send()
        .await;
    let body = error(r, 400).await;
    assert_eq!(body["request_id"], "trace-7");
}
