//! Two server instances on one PostgreSQL database and one Redis behave as one: the rate-limit
//! budget is shared (each instance has its own runtime, pool and limiter; they share only
//! the database and Redis, as replicas behind a load balancer do).

use meridian_contract_tests::TestServer;
use meridian_contract_tests::server::{Database, postgres_url, redis_url, services_required, unique_name};
use meridian_server::db::admin;
use meridian_server::ratelimit::RateLimitMode;

#[tokio::test]
async fn two_replicas_on_one_postgres_exhaust_one_budget_together() {
    let (Some(base), Some(redis)) = (postgres_url(), redis_url()) else {
        assert!(!services_required(), "CI must provide TEST_DATABASE_URL and REDIS_URL");
        eprintln!("skipped: TEST_DATABASE_URL or REDIS_URL not set");
        return;
    };
    let name = unique_name("meridian_test");
    let url = admin::create_database(&base, &name).await.unwrap();
    let prefix = unique_name("replicas");
    let replica = || {
        TestServer::builder()
            .database(Database::Url(url.clone()))
            .rate_limits(RateLimitMode::Scaled(1))
            .redis(&redis, &prefix)
    };
    let (a, b) = (replica().start().await, replica().start().await);
    let clients = [a.client(), b.client()];
    // Alternate between replicas: together they may serve exactly one budget of 100.
    let (mut window, mut in_window, mut refused) = (String::new(), 0u64, None);
    for n in 0..250usize {
        match clients[n % 2].get_health().await {
            Ok(ok) => {
                let reset = ok.headers()["x-ratelimit-reset"].to_str().unwrap().to_owned();
                if reset != window {
                    (window, in_window) = (reset, 0);
                }
                in_window += 1;
            }
            Err(error) => {
                assert_eq!(error.status().map(|s| s.as_u16()), Some(429), "{error:?}");
                refused = Some(n);
                break;
            }
        }
    }
    assert!(refused.is_some(), "no 429 after 250 requests");
    assert_eq!(in_window, 100, "the two replicas together allowed {in_window} requests");
    drop((a, b));
    admin::drop_database(&base, &name).await.unwrap();
}
