//! Two server instances on one PostgreSQL database and one Redis behave as one: the rate-limit
//! budget is shared, and their background matchers fill each resting order once (each
//! instance has its own runtime, pool, limiter and matcher; they share only the database and
//! Redis, as replicas behind a load balancer do). In-process, so the test drives each
//! instance's market clock; server/tests/app/binary.rs runs the same topology as two OS
//! processes on the real clock, with a session alternating between them.

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

/// Two replicas' background matchers race for the same resting orders on one PostgreSQL
/// database: every order fills exactly once, with one fill each and the funds moved once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_matchers_fill_each_resting_order_once() {
    use meridian::types::{TradingOrderType, TradingPlaceOrderRequest, TradingSide, TradingSymbol, TradingTimeInForce};
    use meridian_server::domain::symbols::Symbol;
    use rust_decimal::Decimal;

    let Some(base) = postgres_url() else {
        assert!(!services_required(), "CI must provide TEST_DATABASE_URL");
        eprintln!("skipped: TEST_DATABASE_URL not set");
        return;
    };
    let name = unique_name("meridian_test");
    let url = admin::create_database(&base, &name).await.unwrap();
    let replica = || TestServer::builder().database(Database::Url(url.clone()));
    let (a, b) = (replica().start().await, replica().start().await);
    const T0: i64 = 1_772_532_000_000;
    const LATER: i64 = T0 + 6 * 3_600_000;
    a.state().clock.set_ms(T0);
    b.state().clock.set_ms(T0);
    // A limit the market reaches within six hours but not at T0.
    let feed = &a.state().feed;
    let (low, _) = feed.extremes(Symbol::Eth, T0 + 60_000, LATER);
    let limit = low;
    assert!(feed.price(Symbol::Eth, T0) > limit, "the order must rest at T0");

    let user = meridian_contract_tests::fixtures::signed_in_user(&a, "replica-matcher").await;
    let client = meridian_contract_tests::fixtures::client_with_token(&a, &user.access_token);
    let body = TradingPlaceOrderRequest {
        client_order_id: None,
        exchange: None,
        price: Some(limit),
        quantity: Some(Decimal::new(1, 1)),
        quote_order_qty: None,
        side: TradingSide::Buy,
        symbol: TradingSymbol::Ethusdt,
        time_in_force: Some(TradingTimeInForce::Gtc),
        type_: TradingOrderType::Limit,
    };
    let mut ids = Vec::new();
    for _ in 0..10 {
        let placed = client.place_order(None, &body).await.expect("201").into_inner();
        assert_eq!(placed.order.status.to_string(), "NEW");
        ids.push(placed.order.order_id);
    }

    // Both matchers see the crossing; wait until each has completed two sweeps after it.
    let (mut sa, mut sb) = (a.state().matcher.subscribe(), b.state().matcher.subscribe());
    sa.mark_unchanged();
    sb.mark_unchanged();
    a.state().clock.set_ms(LATER);
    b.state().clock.set_ms(LATER);
    for rx in [&mut sa, &mut sb] {
        for _ in 0..2 {
            tokio::time::timeout(std::time::Duration::from_secs(20), rx.changed())
                .await
                .expect("a sweep within 20 s")
                .unwrap();
        }
    }

    // Straight from the database (an API read would match by itself).
    let mut conn = a.state().db.conn().await.unwrap();
    for id in &ids {
        let order = meridian_server::db::trading::find_order(&mut conn, &user.id, id.get() as i64)
            .await
            .unwrap();
        assert_eq!(order.status, "FILLED", "order {id}");
    }
    let trades = meridian_server::db::trading::all_trades(&mut conn, &user.id)
        .await
        .unwrap();
    assert_eq!(trades.len(), ids.len(), "one fill per order");
    assert!(
        trades
            .iter()
            .all(|t| t.is_maker && t.price == limit.normalize().to_string())
    );
    let wallet = meridian_server::db::trading::wallet(&mut conn, &user.id).await.unwrap();
    let usdt = wallet.balance(meridian_server::domain::symbols::Asset::Usdt);
    assert_eq!(usdt.locked, Decimal::ZERO);
    assert_eq!(
        usdt.free,
        Decimal::from(10_000) - limit * Decimal::ONE,
        "10 × 0.1 × limit spent once"
    );
    drop(conn);
    drop((a, b));
    admin::drop_database(&base, &name).await.unwrap();
}
