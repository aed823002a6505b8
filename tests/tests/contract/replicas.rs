//! Two server instances on one PostgreSQL database and one Redis behave as one: a session
//! moves freely between them (tokens, refresh rotation, logout), idempotent retries landing
//! on either place one order, the rate-limit budget is shared, and their background matchers
//! fill each resting order once. Each instance has its own runtime, pool, limiter, matcher
//! and caches; they share only the database and Redis, as replicas behind a load balancer do.

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

/// A session alternating between two replicas on one PostgreSQL database and one Redis: a
/// token issued by one works on the other, a refresh on one rotates for both, logout on one
/// revokes on both, and an idempotent order retried on the other replica (one after the other,
/// then both at once) is placed once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_session_alternating_between_replicas_behaves_as_on_one_server() {
    use meridian_contract_tests::fixtures::{client_with_token, signed_in_user};
    use serde_json::{Value, json};

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
            .redis(&redis, &prefix)
    };
    let (a, b) = (replica().start().await, replica().start().await);

    // Signed in on A; the token works on B.
    let user = signed_in_user(&a, "replica-session").await;
    let me = |server: &TestServer, token: &str| {
        let request = server
            .http()
            .get(format!("{}/api/users/me", server.url))
            .bearer_auth(token);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(me(&b, &user.access_token).await, 200, "A's token on B");

    // Refreshed on B: the new tokens work on A, and the old refresh token is spent on A too.
    let refresh = |server: &TestServer, token: &str| {
        let request = server
            .http()
            .post(format!("{}/api/auth/refresh", server.url))
            .json(&json!({"refresh_token": token}));
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (status, body) = refresh(&b, &user.refresh_token).await;
    assert_eq!(status, 200, "{body}");
    let access = body["tokens"]["access_token"].as_str().unwrap().to_owned();
    assert_eq!(me(&a, &access).await, 200, "B's new token on A");
    let (status, _) = refresh(&a, &user.refresh_token).await;
    assert_eq!(status, 401, "a refresh token rotated on B is spent on A");

    // Idempotent retries across replicas: placed on A, retried on B, one order.
    let order = json!({"symbol":"BTCUSDT","side":"BUY","type":"MARKET","quoteOrderQty":"100"});
    let place = |server: &TestServer, key: &str| {
        let request = server
            .http()
            .post(format!("{}/api/trading/order", server.url))
            .bearer_auth(&access)
            .header("Idempotency-Key", key)
            .json(&order);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (s1, first) = place(&a, "replica-retry-1").await;
    let (s2, retried) = place(&b, "replica-retry-1").await;
    assert_eq!((s1, s2), (201, 201), "{first} / {retried}");
    assert_eq!(first["order"]["orderId"], retried["order"]["orderId"]);
    // Both at once, one on each replica: still one order.
    let ((s1, one), (s2, two)) = tokio::join!(place(&a, "replica-retry-2"), place(&b, "replica-retry-2"));
    assert_eq!((s1, s2), (201, 201), "{one} / {two}");
    assert_eq!(one["order"]["orderId"], two["order"]["orderId"]);
    let orders = client_with_token(&b, &access)
        .list_orders(std::num::NonZeroU64::new(100), None, None, None, None)
        .await
        .expect("orders")
        .into_inner();
    assert_eq!(orders.pagination.total_count, 2, "two keys, two orders");

    // Logout on A revokes the session on both.
    let response = a
        .http()
        .post(format!("{}/api/auth/logout", a.url))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(me(&b, &access).await, 401, "logged out on A, refused on B");
    assert_eq!(me(&a, &access).await, 401);

    drop((a, b));
    admin::drop_database(&base, &name).await.unwrap();
}
