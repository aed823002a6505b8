//! Every 400 rule of `POST /api/trading/order` (unknown symbol, the symbol filters, balance,
//! parameters by type) and of the list filters; a refused order is not recorded.

use meridian::types::TradingAsset;
use meridian_contract_tests::fixtures::request;
use meridian_server::domain::symbols::Symbol;
use serde_json::{Value, json};

use super::support::{T0, all_orders, balances, d, holding, place, place_raw, price, start, text};

/// Places `body` and expects 400; the answer.
async fn refused(server: &meridian_contract_tests::TestServer, token: &str, body: Value) -> Value {
    let (code, answer) = place_raw(server, token, body.clone()).await;
    assert_eq!(code, 400, "{body} → {answer}");
    assert_eq!(answer["success"], false, "{answer}");
    answer
}

#[tokio::test]
async fn unknown_symbols_and_malformed_bodies_are_400() {
    let (server, user, client) = start("rules-body").await;
    let token = user.access_token.as_str();
    let answer = refused(
        &server,
        token,
        json!({"symbol":"FOOUSDT","side":"BUY","type":"MARKET","quoteOrderQty":"100"}),
    )
    .await;
    assert_eq!(answer["errors"][0]["field"], "symbol", "{answer}");
    let message = answer["message"].as_str().unwrap();
    assert!(
        message.starts_with("Invalid symbol: FOOUSDT. Supported symbols: BTCUSDT, ETHUSDT"),
        "{message}"
    );
    let long_id = "x".repeat(37);
    for (body, field) in [
        (
            json!({"symbol":"btcusdt","side":"BUY","type":"MARKET","quoteOrderQty":"100"}),
            "symbol",
        ),
        (json!({"side":"BUY","type":"MARKET","quoteOrderQty":"100"}), "symbol"),
        (
            json!({"symbol":"BTCUSDT","side":"HOLD","type":"MARKET","quoteOrderQty":"100"}),
            "side",
        ),
        (
            json!({"symbol":"BTCUSDT","side":"BUY","type":"STOP","quoteOrderQty":"100"}),
            "type",
        ),
        (
            json!({"symbol":"BTCUSDT","side":"BUY","type":"MARKET","quoteOrderQty":"1e2"}),
            "quoteOrderQty",
        ),
        (
            json!({"symbol":"BTCUSDT","side":"BUY","type":"MARKET","quoteOrderQty":"abc"}),
            "quoteOrderQty",
        ),
        (
            json!({"symbol":"BTCUSDT","side":"BUY","type":"MARKET","quoteOrderQty":true}),
            "quoteOrderQty",
        ),
        (
            json!({"symbol":"BTCUSDT","side":"BUY","type":"MARKET","quoteOrderQty":"100","exchange":"kraken"}),
            "exchange",
        ),
        (
            json!({"symbol":"BTCUSDT","side":"BUY","type":"MARKET","quoteOrderQty":"100","leverage":10}),
            "leverage",
        ),
        (
            json!({"symbol":"ETHUSDT","side":"BUY","type":"LIMIT","quantity":"0.5","price":"3200","timeInForce":"GTD"}),
            "timeInForce",
        ),
        (
            json!({"symbol":"ETHUSDT","side":"BUY","type":"LIMIT","quantity":"0.5","price":"3200","clientOrderId":"has space"}),
            "clientOrderId",
        ),
        (
            json!({"symbol":"ETHUSDT","side":"BUY","type":"LIMIT","quantity":"0.5","price":"3200","clientOrderId": long_id}),
            "clientOrderId",
        ),
        (
            json!({"symbol":"ETHUSDT","side":"BUY","type":"LIMIT","quantity":"0.5","price":"3200","clientOrderId":""}),
            "clientOrderId",
        ),
    ] {
        let answer = refused(&server, token, body.clone()).await;
        assert_eq!(answer["errors"][0]["field"], field, "{body} → {answer}");
    }
    assert_eq!(all_orders(&client).await.pagination.total_count, 0, "nothing recorded");
}

#[tokio::test]
async fn filter_breaches_are_400_naming_the_rule() {
    let (server, user, client) = start("rules-filters").await;
    let token = user.access_token.as_str();
    let btc = price(&server, Symbol::Btc, T0);
    let cases = [
        (
            json!({"symbol":"ETHUSDT","side":"BUY","type":"LIMIT","quantity":"0.00005","price":"3200"}),
            "Filter failure: LOT_SIZE (quantity must be a multiple of 0.0001)".to_owned(),
        ),
        (
            json!({"symbol":"DOGEUSDT","side":"BUY","type":"MARKET","quantity":"100.5"}),
            "Filter failure: LOT_SIZE (quantity must be a multiple of 1)".to_owned(),
        ),
        (
            json!({"symbol":"ETHUSDT","side":"BUY","type":"LIMIT","quantity":"0.5","price":"3200.005"}),
            "Filter failure: PRICE_FILTER (price must be a multiple of 0.01)".to_owned(),
        ),
        (
            json!({"symbol":"ADAUSDT","side":"BUY","type":"LIMIT","quantity":"10","price":"0.72005"}),
            "Filter failure: PRICE_FILTER (price must be a multiple of 0.0001)".to_owned(),
        ),
        (
            json!({"symbol":"ETHUSDT","side":"BUY","type":"LIMIT","quantity":"0.001","price":"3200"}),
            "Filter failure: NOTIONAL (quantity × price must be at least 5 USDT, got 3.2 USDT)".to_owned(),
        ),
        (
            json!({"symbol":"BTCUSDT","side":"BUY","type":"MARKET","quantity":"0.00001"}),
            format!(
                "Filter failure: NOTIONAL (quantity × price must be at least 5 USDT, got {} USDT)",
                text(d("0.00001") * btc)
            ),
        ),
    ];
    for (body, message) in cases {
        let answer = refused(&server, token, body.clone()).await;
        assert_eq!(answer["message"], message, "{body}");
    }
    // A quote amount too small for one step is a LOT_SIZE breach.
    let answer = refused(
        &server,
        token,
        json!({"symbol":"BTCUSDT","side":"BUY","type":"MARKET","quoteOrderQty":"0.1"}),
    )
    .await;
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .starts_with("Filter failure: LOT_SIZE"),
        "{answer}"
    );
    // A quote amount that buys one step but less than 5 USDT is a NOTIONAL breach.
    let answer = refused(
        &server,
        token,
        json!({"symbol":"BTCUSDT","side":"BUY","type":"MARKET","quoteOrderQty":"4"}),
    )
    .await;
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .starts_with("Filter failure: NOTIONAL"),
        "{answer}"
    );
    assert_eq!(all_orders(&client).await.pagination.total_count, 0);
    assert_eq!(
        holding(&balances(&client).await, TradingAsset::Usdt),
        (d("10000"), d("0"), d("10000"))
    );
}

#[tokio::test]
async fn orders_beyond_the_balance_are_400_and_balances_never_go_negative() {
    let (server, user, client) = start("rules-balance").await;
    let token = user.access_token.as_str();
    let btc = price(&server, Symbol::Btc, T0);
    let eth = price(&server, Symbol::Eth, T0);
    let answer = refused(
        &server,
        token,
        json!({"symbol":"ETHUSDT","side":"BUY","type":"LIMIT","quantity":"5","price":"3200"}),
    )
    .await;
    assert_eq!(
        answer["message"],
        "Insufficient balance: requires 16000 USDT, available 10000 USDT"
    );
    let answer = refused(
        &server,
        token,
        json!({"symbol":"BTCUSDT","side":"BUY","type":"MARKET","quantity":"1"}),
    )
    .await;
    assert_eq!(
        answer["message"],
        format!(
            "Insufficient balance: requires {} USDT, available 10000 USDT",
            text(btc)
        ),
        "a MARKET BUY needs quantity × the feed price"
    );
    let answer = refused(
        &server,
        token,
        json!({"symbol":"ETHUSDT","side":"SELL","type":"LIMIT","quantity":"0.5","price":"3500"}),
    )
    .await;
    assert_eq!(
        answer["message"],
        "Insufficient balance: requires 0.5 ETH, available 0 ETH"
    );

    // Funds locked by a resting order are not available.
    let limit = (eth * d("0.9")).floor();
    place(
        &client,
        json!({"symbol":"ETHUSDT","side":"BUY","type":"LIMIT","quantity":"1","price": text(limit)}),
    )
    .await;
    let free = d("10000") - limit;
    let answer = refused(
        &server,
        token,
        json!({"symbol":"ETHUSDT","side":"BUY","type":"LIMIT","quantity":"1","price": text(free + d("1"))}),
    )
    .await;
    assert_eq!(
        answer["message"],
        format!(
            "Insufficient balance: requires {} USDT, available {} USDT",
            text(free + d("1")),
            text(free)
        )
    );
    // Exactly the free amount is enough (a marketable LIMIT pays the feed price).
    let spend_all = place(
        &client,
        json!({"symbol":"ETHUSDT","side":"BUY","type":"LIMIT","quantity":"1","price": text(free)}),
    )
    .await;
    assert!(free >= eth, "the limit is marketable");
    assert_eq!(spend_all.trade.unwrap().price, eth);
    for b in balances(&client).await {
        assert!(b.free >= d("0") && b.locked >= d("0"), "{b:?}");
        assert_eq!(b.total, b.free + b.locked);
    }
}

#[tokio::test]
async fn parameters_must_fit_the_order_type() {
    let (server, user, client) = start("rules-params").await;
    let token = user.access_token.as_str();
    let cases = [
        // MARKET: exactly one of quantity and quoteOrderQty; no price or timeInForce.
        (
            json!({"symbol":"BTCUSDT","side":"BUY","type":"MARKET","quantity":"0.001","quoteOrderQty":"100"}),
            "quantity",
        ),
        (json!({"symbol":"BTCUSDT","side":"BUY","type":"MARKET"}), "quantity"),
        (
            json!({"symbol":"BTCUSDT","side":"BUY","type":"MARKET","quantity":"0.001","price":"68000"}),
            "price",
        ),
        (
            json!({"symbol":"BTCUSDT","side":"BUY","type":"MARKET","quantity":"0.001","timeInForce":"GTC"}),
            "timeInForce",
        ),
        (
            json!({"symbol":"BTCUSDT","side":"BUY","type":"MARKET","quoteOrderQty":"100.123456789"}),
            "quoteOrderQty",
        ),
        (
            json!({"symbol":"BTCUSDT","side":"BUY","type":"MARKET","quoteOrderQty":"-5"}),
            "quoteOrderQty",
        ),
        (
            json!({"symbol":"BTCUSDT","side":"BUY","type":"MARKET","quantity":"0"}),
            "quantity",
        ),
        // LIMIT: price and quantity required, no quoteOrderQty.
        (
            json!({"symbol":"ETHUSDT","side":"BUY","type":"LIMIT","quantity":"0.5"}),
            "price",
        ),
        (
            json!({"symbol":"ETHUSDT","side":"BUY","type":"LIMIT","price":"3200"}),
            "quantity",
        ),
        (
            json!({"symbol":"ETHUSDT","side":"BUY","type":"LIMIT","quantity":"0.5","price":"3200","quoteOrderQty":"100"}),
            "quoteOrderQty",
        ),
        (
            json!({"symbol":"ETHUSDT","side":"BUY","type":"LIMIT","quantity":"0.5","price":"0"}),
            "price",
        ),
        (
            json!({"symbol":"ETHUSDT","side":"BUY","type":"LIMIT","quantity":"-0.5","price":"3200"}),
            "quantity",
        ),
    ];
    for (body, field) in cases {
        let answer = refused(&server, token, body.clone()).await;
        assert_eq!(answer["errors"][0]["field"], field, "{body} → {answer}");
    }
    assert_eq!(all_orders(&client).await.pagination.total_count, 0);
}

#[tokio::test]
async fn list_filters_with_bad_values_are_400() {
    let (server, user, _client) = start("rules-lists").await;
    let token = Some(user.access_token.as_str());
    for query in [
        "status=FOO",
        "status=new",
        "symbol=FOOUSDT",
        "side=HOLD",
        "limit=101",
        "limit=0",
        "limit=x",
        "page=0",
        "page=-1",
    ] {
        let (code, body) = request(&server, "GET", &format!("/api/trading/orders?{query}"), token, None).await;
        assert_eq!(code, 400, "orders?{query}: {body}");
    }
    for query in [
        "symbol=FOOUSDT",
        "side=HOLD",
        "limit=101",
        "limit=0",
        "page=0",
        "status=NEW&page=0",
    ] {
        let (code, body) = request(&server, "GET", &format!("/api/trading/history?{query}"), token, None).await;
        assert_eq!(code, 400, "history?{query}: {body}");
    }
    // The bounds themselves are fine.
    for path in [
        "/api/trading/orders?limit=100&page=1",
        "/api/trading/history?limit=1&page=7",
    ] {
        let (code, body) = request(&server, "GET", path, token, None).await;
        assert_eq!(code, 200, "{path}: {body}");
    }
}
