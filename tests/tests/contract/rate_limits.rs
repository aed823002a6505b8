//! Rate-limit headers on every API response, and budgets shared through Redis.

use meridian_contract_tests::TestServer;
use meridian_contract_tests::server::{redis_url, services_required, unique_name};
use meridian_server::ratelimit::RateLimitMode;

#[tokio::test]
async fn every_api_response_carries_the_budget_headers() {
    let server = TestServer::builder()
        .rate_limits(RateLimitMode::Scaled(1))
        .start()
        .await;
    for path in ["/api/health", "/api/no-such-thing"] {
        let response = server.http().get(format!("{}{path}", server.url)).send().await.unwrap();
        for header in [
            "x-ratelimit-limit",
            "x-ratelimit-remaining",
            "x-ratelimit-reset",
            "x-request-id",
        ] {
            assert!(response.headers().contains_key(header), "{path} lacks {header}");
        }
        let reset: u64 = response.headers()["x-ratelimit-reset"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert!(reset > now && reset <= now + 3600, "reset {reset} now {now}");
    }
}

#[tokio::test]
async fn with_redis_two_servers_share_one_budget() {
    let Some(redis) = redis_url() else {
        assert!(!services_required(), "CI must provide REDIS_URL");
        eprintln!("skipped: REDIS_URL not set");
        return;
    };
    let prefix = unique_name("shared");
    let a = TestServer::builder()
        .rate_limits(RateLimitMode::Scaled(1))
        .redis(&redis, &prefix)
        .start()
        .await;
    let b = TestServer::builder()
        .rate_limits(RateLimitMode::Scaled(1))
        .redis(&redis, &prefix)
        .start()
        .await;
    let (ca, cb) = (a.client(), b.client());
    let first = ca.get_health().await.unwrap();
    let second = cb.get_health().await.unwrap();
    let remaining =
        |r: &reqwest::header::HeaderMap| r["x-ratelimit-remaining"].to_str().unwrap().parse::<u64>().unwrap();
    let same_window = first.headers()["x-ratelimit-reset"] == second.headers()["x-ratelimit-reset"];
    if same_window {
        assert_eq!(
            remaining(second.headers()),
            remaining(first.headers()) - 1,
            "b counted a's request"
        );
    }
    // A server with its own prefix does not see those counts.
    let c = TestServer::builder()
        .rate_limits(RateLimitMode::Scaled(1))
        .redis(&redis, &unique_name("other"))
        .start()
        .await;
    let third = c.client().get_health().await.unwrap();
    assert_eq!(remaining(third.headers()), 99);
}

#[tokio::test]
async fn signed_in_users_have_budgets_of_their_own() {
    use meridian_contract_tests::fixtures::{request, signed_in_user};
    let server = TestServer::builder()
        .rate_limits(RateLimitMode::Scaled(1))
        .start()
        .await;
    let alice = signed_in_user(&server, "alice").await;
    let bob = signed_in_user(&server, "bob").await;
    // Alice spends the default budget (100 an hour)…
    let mut served = 0;
    while served <= 100 {
        let (status, _) = request(&server, "GET", "/api/users/me", Some(&alice.access_token), None).await;
        if status == 429 {
            break;
        }
        assert_eq!(status, 200);
        served += 1;
    }
    assert!(served <= 100, "alice was never limited");
    // …and Bob, from the same IP, still has his own.
    let (status, _) = request(&server, "GET", "/api/users/me", Some(&bob.access_token), None).await;
    assert_eq!(status, 200);
}
