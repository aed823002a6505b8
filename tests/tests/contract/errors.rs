//! The one error shape for failures outside any operation: unknown routes (404), wrong
//! methods (405), oversized bodies (413) — JSON with the request id, never plain text.

use meridian_contract_tests::TestServer;
use serde_json::Value;

async fn error_body(response: reqwest::Response) -> (u16, String, Value) {
    let status = response.status().as_u16();
    let id = response.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"),
        "error bodies are JSON"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["success"], false);
    assert_eq!(body["request_id"], id.as_str());
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    (status, id, body)
}

#[tokio::test]
async fn an_unknown_route_is_a_json_404() {
    let server = TestServer::start().await;
    let response = server
        .http()
        .get(format!("{}/api/no-such-thing", server.url))
        .send()
        .await
        .unwrap();
    let (status, _, body) = error_body(response).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"], "Not Found");
}

#[tokio::test]
async fn a_wrong_method_is_a_json_405() {
    let server = TestServer::start().await;
    let response = server
        .http()
        .delete(format!("{}/api/health", server.url))
        .send()
        .await
        .unwrap();
    let allow = response.headers().get("allow").map(|v| v.to_str().unwrap().to_owned());
    let (status, _, body) = error_body(response).await;
    assert_eq!(status, 405);
    assert_eq!(body["error"], "Method Not Allowed");
    // Found by Schemathesis (RFC 9110 §15.5.6): a 405 lists the path's methods in `Allow`.
    assert_eq!(allow.as_deref(), Some("GET, HEAD"));
    for (method, path, allowed) in [
        ("PATCH", "/api/trading/order/7", "GET, HEAD, DELETE"),
        ("TRACE", "/api/users/me", "GET, HEAD, PATCH, DELETE"),
        ("PUT", "/api/auth/2fa/enable", "GET, HEAD, POST"),
    ] {
        let response = server
            .http()
            .request(method.parse().unwrap(), format!("{}{path}", server.url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 405, "{method} {path}");
        assert_eq!(response.headers()["allow"], allowed, "{method} {path}");
    }
}

#[tokio::test]
async fn an_oversized_body_is_a_json_413_whether_sized_or_chunked() {
    let server = TestServer::builder().max_body_bytes(1024).start().await;
    let big = "x".repeat(4096);
    let sized = server
        .http()
        .post(format!("{}/api/health", server.url))
        .body(big.clone())
        .send()
        .await
        .unwrap();
    let (status, _, _) = error_body(sized).await;
    assert_eq!(status, 413);
    // A body without a length (sent chunked).
    let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(big) });
    let chunked = server
        .http()
        .post(format!("{}/api/health", server.direct_url))
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    let (status, _, _) = error_body(chunked).await;
    assert_eq!(status, 413);
}

#[tokio::test]
async fn a_sane_caller_request_id_is_echoed_and_an_unsafe_one_replaced() {
    let server = TestServer::start().await;
    for (sent, echoed) in [
        ("abc-123", true),
        ("has space", false),
        ("x\u{7f}", false),
        (&*"a".repeat(129), false),
    ] {
        let Ok(response) = server
            .http()
            .get(format!("{}/api/nope", server.url))
            .header("x-request-id", sent)
            .send()
            .await
        else {
            continue; // reqwest refuses some header values itself
        };
        let (_, id, _) = error_body(response).await;
        assert_eq!(id == sent, echoed, "sent {sent:?}, got {id:?}");
        assert!(id.len() <= 128 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b)));
    }
}

#[tokio::test]
async fn nul_characters_in_input_are_a_client_error_never_a_500() {
    let server = TestServer::start().await;
    let http = server.http();
    let path = http
        .put(format!("{}/api/users/user-%00x/token/abc", server.url))
        .send()
        .await
        .unwrap();
    assert!(matches!(path.status().as_u16(), 400 | 404), "{}", path.status());
    let body = http
        .post(format!("{}/api/auth/login", server.url))
        .json(&serde_json::json!({"email": "a@example.com", "password": "x\u{0}y"}))
        .send()
        .await
        .unwrap();
    assert!(matches!(body.status().as_u16(), 400 | 401), "{}", body.status());
    let basic = http
        .post(format!("{}/api/auth", server.url))
        .basic_auth("\u{0}", Some("x"))
        .send()
        .await
        .unwrap();
    assert!(matches!(basic.status().as_u16(), 400 | 401), "{}", basic.status());
}
