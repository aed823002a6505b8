//! Retries of `POST /api/trading/order`: a repeated `clientOrderId` or `Idempotency-Key` with
//! the same body returns the original 201 body without a second order or fill; with a
//! different body, 409.

use meridian::types::{PlaceOrderIdempotencyKey, TradingOrderStatus, TradingPlaceOrderResponse};
use meridian_contract_tests::TestServer;
use meridian_contract_tests::fixtures::{client_with_token, failure, signed_in_user};
use meridian_server::domain::symbols::Symbol;
use serde_json::{Value, json};

use super::support::{T0, all_orders, all_trades, balances, body, d, floor_to, place_raw, price, start, text};

/// `POST /api/trading/order` with an `Idempotency-Key` header, raw: status and body.
async fn place_with_key(server: &TestServer, token: &str, key: &str, json: &Value) -> (u16, Value) {
    let response = server
        .http()
        .post(format!("{}/api/trading/order", server.url))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(json)
        .send()
        .await
        .expect("the proxy answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_repeated_client_order_id_returns_the_first_answer_without_a_second_fill() {
    let (server, user, client) = start("coid").await;
    let token = user.access_token.as_str();
    let order =
        json!({"symbol":"BTCUSDT","side":"BUY","type":"MARKET","quoteOrderQty":"100","clientOrderId":"retry-1"});
    let (code, first) = place_raw(&server, token, order.clone()).await;
    assert_eq!(code, 201, "{first}");
    assert_eq!(first["order"]["clientOrderId"], "retry-1");
    let wallet = serde_json::to_value(balances(&client).await).unwrap();

    // Retried at once, and again an hour later at another price: the same answer.
    let (code, again) = place_raw(&server, token, order.clone()).await;
    assert_eq!(code, 201, "{again}");
    assert_eq!(again, first);
    server.state().clock.set_ms(T0 + 3_600_000);
    let (code, later) = place_raw(&server, token, order.clone()).await;
    assert_eq!(code, 201, "{later}");
    assert_eq!(later, first, "the original body, as first sent");
    // The SDK's typed retry agrees.
    let typed: TradingPlaceOrderResponse = client
        .place_order(None, &body(order.clone()))
        .await
        .unwrap()
        .into_inner();
    let original: TradingPlaceOrderResponse = serde_json::from_value(first.clone()).unwrap();
    assert_eq!(
        serde_json::to_value(typed).unwrap(),
        serde_json::to_value(original).unwrap()
    );

    assert_eq!(all_orders(&client).await.pagination.total_count, 1, "one order");
    assert_eq!(all_trades(&client).await.pagination.total_count, 1, "one fill");
    assert_eq!(
        serde_json::to_value(balances(&client).await).unwrap(),
        wallet,
        "charged once"
    );

    // The same id with any other field → 409, and nothing moves.
    for changed in [
        json!({"symbol":"BTCUSDT","side":"BUY","type":"MARKET","quoteOrderQty":"200","clientOrderId":"retry-1"}),
        json!({"symbol":"ETHUSDT","side":"BUY","type":"MARKET","quoteOrderQty":"100","clientOrderId":"retry-1"}),
        json!({"symbol":"BTCUSDT","side":"BUY","type":"MARKET","quantity":"0.001","clientOrderId":"retry-1"}),
    ] {
        let (code, answer) = place_raw(&server, token, changed.clone()).await;
        assert_eq!(code, 409, "{changed} → {answer}");
        assert_eq!(answer["success"], false);
    }
    assert_eq!(all_orders(&client).await.pagination.total_count, 1);
    assert_eq!(serde_json::to_value(balances(&client).await).unwrap(), wallet);

    // Client order ids are per user.
    let other = signed_in_user(&server, "coid-other").await;
    let (code, theirs) = place_raw(&server, &other.access_token, order).await;
    assert_eq!(code, 201, "{theirs}");
    assert_ne!(theirs["order"]["orderId"], first["order"]["orderId"]);
}

#[tokio::test]
async fn a_retry_after_a_cancel_still_returns_the_placement_answer() {
    let (server, user, client) = start("coid-cancel").await;
    let p = price(&server, Symbol::Eth, T0);
    let order = json!({
        "symbol":"ETHUSDT","side":"BUY","type":"LIMIT","quantity":"0.5",
        "price": text(floor_to(p * d("0.9"), d("0.01"))),"timeInForce":"GTC","clientOrderId":"eth-dip-1"
    });
    let (code, first) = place_raw(&server, &user.access_token, order.clone()).await;
    assert_eq!((code, first["order"]["status"].clone()), (201, json!("NEW")), "{first}");
    let placed: TradingPlaceOrderResponse = serde_json::from_value(first.clone()).unwrap();
    client.cancel_order(placed.order.order_id).await.expect("cancelled");
    let (code, again) = place_raw(&server, &user.access_token, order).await;
    assert_eq!(code, 201);
    assert_eq!(again, first, "the stored answer (status NEW), not a new order");
    let now = client
        .get_order(placed.order.order_id)
        .await
        .unwrap()
        .into_inner()
        .order;
    assert_eq!(now.status, TradingOrderStatus::Canceled, "GET shows the current state");
    let orders = all_orders(&client).await;
    assert_eq!(orders.pagination.total_count, 1);
    assert_eq!(
        super::support::holding(&balances(&client).await, meridian::types::TradingAsset::Usdt),
        (d("10000"), d("0"), d("10000")),
        "the retry locked nothing"
    );
}

#[tokio::test]
async fn a_repeated_idempotency_key_returns_the_same_order() {
    let (server, user, client) = start("idem").await;
    let key: PlaceOrderIdempotencyKey = "5f1c9a52-1e0b-4d0e-9a43-5c9a0f6e7b21".parse().unwrap();
    let order = json!({"symbol":"SOLUSDT","side":"BUY","type":"MARKET","quoteOrderQty":"250"});
    let (code, raw) = place_with_key(&server, &user.access_token, key.as_str(), &order).await;
    assert_eq!(code, 201, "{raw}");
    let first: TradingPlaceOrderResponse = serde_json::from_value(raw.clone()).unwrap();
    let wallet = serde_json::to_value(balances(&client).await).unwrap();
    // Replayed through the SDK, and raw: the body as first sent.
    let second = client
        .place_order(Some(&key), &body(order.clone()))
        .await
        .expect("replayed")
        .into_inner();
    assert_eq!(second.order.order_id, first.order.order_id);
    assert_eq!(
        serde_json::to_value(&second).unwrap(),
        serde_json::to_value(&first).unwrap()
    );
    let (code, again) = place_with_key(&server, &user.access_token, key.as_str(), &order).await;
    assert_eq!(code, 201, "{again}");
    assert_eq!(again, raw);
    assert_eq!(all_orders(&client).await.pagination.total_count, 1);
    assert_eq!(all_trades(&client).await.pagination.total_count, 1);
    assert_eq!(serde_json::to_value(balances(&client).await).unwrap(), wallet);

    // Same key, another body → 409.
    let changed = json!({"symbol":"SOLUSDT","side":"BUY","type":"MARKET","quoteOrderQty":"251"});
    let (code, answer) = failure(client.place_order(Some(&key), &body(changed)).await);
    assert_eq!(code, 409, "{answer}");
    assert_eq!(all_orders(&client).await.pagination.total_count, 1);

    // Without the key the same body is a new order; another user's same key is theirs.
    let fresh = client
        .place_order(None, &body(order.clone()))
        .await
        .unwrap()
        .into_inner();
    assert_ne!(fresh.order.order_id, first.order.order_id);
    let other = signed_in_user(&server, "idem-other").await;
    let theirs = client_with_token(&server, &other.access_token)
        .place_order(Some(&key), &body(order.clone()))
        .await
        .expect("another user's key space")
        .into_inner();
    assert_ne!(theirs.order.order_id, first.order.order_id);

    // A malformed key is a 400.
    for bad in ["has space", &"k".repeat(129)] {
        let (code, answer) = place_with_key(&server, &user.access_token, bad, &order).await;
        assert_eq!(code, 400, "{bad}: {answer}");
    }
    assert_eq!(all_orders(&client).await.pagination.total_count, 2);
}

/// Found by Schemathesis: an `Idempotency-Key` that is not ASCII text (here Latin-1 `café`)
/// was read as no key at all, and the order was placed without its retry protection. It is
/// now a 400 naming the header, and nothing is placed.
#[tokio::test]
async fn an_idempotency_key_that_is_not_ascii_text_is_refused() {
    let (server, user, client) = start("key-bytes").await;
    let order = json!({"symbol":"BTCUSDT","side":"BUY","type":"MARKET","quoteOrderQty":"100"});
    let response = server
        .http()
        .post(format!("{}/api/trading/order", server.url))
        .bearer_auth(&user.access_token)
        .header(
            "Idempotency-Key",
            reqwest::header::HeaderValue::from_bytes(b"caf\xe9").unwrap(),
        )
        .json(&order)
        .send()
        .await
        .expect("the proxy answers");
    assert_eq!(response.status().as_u16(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["field"], "Idempotency-Key", "{body}");
    assert_eq!(
        all_orders(&client).await.pagination.total_count,
        0,
        "no order was placed"
    );
    // Operations that take no key ignore the header, as any undeclared header.
    let health = server
        .http()
        .get(format!("{}/api/health", server.url))
        .header(
            "Idempotency-Key",
            reqwest::header::HeaderValue::from_bytes(b"caf\xe9").unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
}
