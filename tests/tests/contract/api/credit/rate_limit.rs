//! Seed 003's budget of `POST /api/credit/calculate-score`: 10 requests a minute per user.
//! The 11th in a window is a 429 with `Retry-After` and the `X-RateLimit-*` headers; another
//! user keeps their own budget.

use meridian_contract_tests::TestServer;
use meridian_contract_tests::fixtures::signed_in_user;
use meridian_server::ratelimit::RateLimitMode;
use serde_json::Value;

/// A header as a number.
fn header(response: &reqwest::Response, name: &str) -> u64 {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("{name} is sent"))
        .to_str()
        .unwrap()
        .parse()
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

async fn calculate(server: &TestServer, token: &str) -> reqwest::Response {
    server
        .http()
        .post(format!("{}/api/credit/calculate-score", server.url))
        .bearer_auth(token)
        .json(&serde_json::json!({}))
        .send()
        .await
        .expect("the proxy answers")
}

#[tokio::test]
async fn the_eleventh_calculation_in_a_minute_is_a_429() {
    let server = TestServer::builder()
        .rate_limits(RateLimitMode::Scaled(1))
        .start()
        .await;
    let alice = signed_in_user(&server, "alice").await;
    let bob = signed_in_user(&server, "bob").await;

    // Budgets are fixed one-minute windows: count the 200s of the window the 429 falls in
    // (a window that ends mid-run starts the count again).
    let mut window: Option<u64> = None;
    let mut served = Vec::new();
    let refused = loop {
        assert!(served.len() <= 30, "never limited");
        let response = calculate(&server, &alice.access_token).await;
        assert_eq!(header(&response, "x-ratelimit-limit"), 10);
        let reset = header(&response, "x-ratelimit-reset");
        if window != Some(reset) {
            window = Some(reset);
            served.clear();
        }
        if response.status() == 429 {
            break response;
        }
        assert_eq!(response.status(), 200);
        served.push(header(&response, "x-ratelimit-remaining"));
    };
    assert_eq!(served, [9, 8, 7, 6, 5, 4, 3, 2, 1, 0], "ten served in the window");
    assert_eq!(header(&refused, "x-ratelimit-remaining"), 0);
    let retry_after = header(&refused, "retry-after");
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let reset = header(&refused, "x-ratelimit-reset");
    assert!(
        reset > now.saturating_sub(2) && reset <= now + 60,
        "reset {reset}, now {now}"
    );
    assert!(refused.headers().contains_key("x-request-id"));
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["success"], false);
    assert_eq!(body["error"], "Rate Limit Exceeded");

    // Bob, from the same address, has a budget of his own.
    let response = calculate(&server, &bob.access_token).await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, "x-ratelimit-limit"), 10);
}
