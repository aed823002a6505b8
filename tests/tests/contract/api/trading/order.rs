//! `POST /api/trading/order`, `GET` and `DELETE /api/trading/order/{id}`: seed 000's two
//! request examples verbatim, MARKET and LIMIT execution against the feed, resting GTC
//! orders locking and releasing funds, IOC/FOK expiry, cancellation rules and ownership.

use std::num::NonZeroU64;

use meridian::types::{
    TradingAsset, TradingOrderStatus, TradingOrderType, TradingPlaceOrderResponse, TradingSide, TradingSymbol,
    TradingTimeInForce, TradingTradeStatus,
};
use meridian_contract_tests::fixtures::{client_with_token, failure, request, signed_in_user};
use meridian_server::domain::symbols::Symbol;
use serde_json::{Value, json};

use super::support::{
    T0, all_orders, all_trades, balances, d, fee_rate, floor_to, holding, id_of, place, place_raw, price, start, text,
};

#[tokio::test]
async fn seed_000_market_buy_spends_at_most_100_usdt_with_exact_arithmetic() {
    let (server, user, client) = start("seed-market").await;
    let p = price(&server, Symbol::Btc, T0);
    let (code, raw) = place_raw(
        &server,
        &user.access_token,
        json!({"symbol":"BTCUSDT","side":"BUY","type":"MARKET","quoteOrderQty":"100"}),
    )
    .await;
    assert_eq!(code, 201, "{raw}");
    // Seed 000's shape: exactly {message, trade, order}.
    let keys: Vec<&str> = raw.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 3, "{raw}");
    for key in ["message", "trade", "order"] {
        assert!(raw.get(key).is_some(), "{key} missing: {raw}");
    }
    let placed: TradingPlaceOrderResponse = serde_json::from_value(raw.clone()).unwrap();

    let qty = floor_to(d("100") / p, d("0.00001"));
    let quote = qty * p;
    let fee = qty * fee_rate();
    assert!(quote <= d("100") && d("100") - quote < d("0.00001") * p, "{qty} × {p}");

    assert_eq!(placed.message, "Order placed successfully");
    let order = &placed.order;
    assert_eq!(order.symbol, TradingSymbol::Btcusdt);
    assert_eq!(order.side, TradingSide::Buy);
    assert_eq!(order.type_, TradingOrderType::Market);
    assert_eq!(order.status, TradingOrderStatus::Filled);
    assert_eq!(order.time_in_force, None);
    assert_eq!(raw["order"]["timeInForce"], Value::Null);
    assert_eq!(raw["order"]["clientOrderId"], Value::Null);
    assert_eq!(order.orig_qty, Some(qty));
    assert_eq!(order.orig_quote_order_qty, Some(d("100")));
    assert_eq!(order.executed_qty, qty);
    assert_eq!(order.cumulative_quote_qty, Some(quote));
    assert_eq!(order.price, p, "a MARKET order shows its fill price");
    assert_eq!(order.fee, Some(fee));
    assert_eq!(order.fee_asset, Some(TradingAsset::Btc));
    assert_eq!(order.transact_time, T0);
    assert_eq!(order.created_at.unwrap().timestamp_millis(), T0);
    assert_eq!(order.updated_at.unwrap().timestamp_millis(), T0);

    let trade = placed.trade.as_ref().expect("a market order fills at once");
    assert!(trade.id.starts_with("trade-"), "{}", *trade.id);
    assert_eq!(*trade.order_id, order.order_id.to_string());
    assert_eq!(
        raw["trade"]["orderId"],
        json!(order.order_id.to_string()),
        "orderId is text in a trade"
    );
    assert_eq!(trade.symbol, TradingSymbol::Btcusdt);
    assert_eq!(trade.side, TradingSide::Buy);
    assert_eq!(trade.type_, TradingOrderType::Market);
    assert_eq!(trade.quantity, qty);
    assert_eq!(trade.price, p);
    assert_eq!(trade.quote_qty, Some(quote));
    assert_eq!(trade.fee, Some(fee));
    assert_eq!(trade.fee_asset, Some(TradingAsset::Btc));
    assert_eq!(trade.is_maker, Some(false));
    assert_eq!(trade.status, TradingTradeStatus::Filled);
    assert_eq!(trade.executed_at.timestamp_millis(), T0);

    let after = balances(&client).await;
    assert_eq!(after.len(), 2, "USDT and BTC only: {after:?}");
    assert_eq!(after[0].asset, TradingAsset::Usdt, "USDT first");
    assert_eq!(
        holding(&after, TradingAsset::Usdt),
        (d("10000") - quote, d("0"), d("10000") - quote)
    );
    assert_eq!(holding(&after, TradingAsset::Btc), (qty - fee, d("0"), qty - fee));

    // The order reads back the same.
    let read = client.get_order(id_of(order)).await.unwrap().into_inner().order;
    assert_eq!(
        serde_json::to_value(&read).unwrap(),
        serde_json::to_value(order).unwrap()
    );
}

#[tokio::test]
async fn seed_000_limit_sell_is_accepted_once_eth_is_held() {
    let (server, user, client) = start("seed-limit").await;
    let p = price(&server, Symbol::Eth, T0);
    // The sell needs ETH first: buy 0.6 (0.5994 after the fee).
    place(
        &client,
        json!({"symbol":"ETHUSDT","side":"BUY","type":"MARKET","quantity":"0.6"}),
    )
    .await;
    let cash = d("10000") - d("0.6") * p;
    let (code, raw) = place_raw(
        &server,
        &user.access_token,
        json!({"exchange":"binance","symbol":"ETHUSDT","side":"SELL","type":"LIMIT","quantity":"0.5","price":"3500","timeInForce":"GTC"}),
    )
    .await;
    assert_eq!(code, 201, "{raw}");
    let placed: TradingPlaceOrderResponse = serde_json::from_value(raw.clone()).unwrap();
    assert_eq!(placed.message, "Order placed successfully");
    let order = &placed.order;
    assert_eq!(order.type_, TradingOrderType::Limit);
    assert_eq!(order.side, TradingSide::Sell);
    assert_eq!(order.time_in_force, Some(TradingTimeInForce::Gtc));
    assert_eq!(order.orig_qty, Some(d("0.5")));
    assert_eq!(order.price, d("3500"), "a LIMIT order shows its limit price");
    assert_eq!(order.fee_asset, Some(TradingAsset::Usdt), "a SELL pays its fee in USDT");
    let after = balances(&client).await;
    if d("3500") <= p {
        // Marketable: sold at the feed price, which is the limit or better.
        assert_eq!(order.status, TradingOrderStatus::Filled);
        let trade = placed.trade.as_ref().expect("a fill");
        assert_eq!(
            (trade.price, trade.quantity, trade.is_maker),
            (p, d("0.5"), Some(false))
        );
        let fee = d("0.5") * p * fee_rate();
        assert_eq!(trade.fee, Some(fee));
        assert_eq!(holding(&after, TradingAsset::Eth), (d("0.0994"), d("0"), d("0.0994")));
        let usdt = cash + d("0.5") * p - fee;
        assert_eq!(holding(&after, TradingAsset::Usdt), (usdt, d("0"), usdt));
    } else {
        // Above the feed: rests, holding 0.5 ETH.
        assert_eq!(order.status, TradingOrderStatus::New);
        assert!(placed.trade.is_none());
        assert_eq!(raw["trade"], Value::Null);
        assert_eq!(order.executed_qty, d("0"));
        assert_eq!(order.cumulative_quote_qty, Some(d("0")));
        assert_eq!(order.fee, Some(d("0")));
        assert_eq!(holding(&after, TradingAsset::Eth), (d("0.0994"), d("0.5"), d("0.5994")));
        assert_eq!(holding(&after, TradingAsset::Usdt), (cash, d("0"), cash));
    }
}

#[tokio::test]
async fn market_orders_by_quantity_and_by_quote_amount_fill_at_the_feed_price() {
    let (server, _user, client) = start("market-qty").await;
    let p = price(&server, Symbol::Eth, T0);
    let buy = place(
        &client,
        json!({"symbol":"ETHUSDT","side":"BUY","type":"MARKET","quantity":"0.2"}),
    )
    .await;
    let order = &buy.order;
    assert_eq!(order.status, TradingOrderStatus::Filled);
    assert_eq!(order.orig_qty, Some(d("0.2")));
    assert_eq!(order.orig_quote_order_qty, None);
    assert_eq!(order.executed_qty, d("0.2"));
    assert_eq!(order.cumulative_quote_qty, Some(d("0.2") * p));
    assert_eq!(order.price, p);
    assert_eq!(order.fee, Some(d("0.0002")));
    assert_eq!(order.fee_asset, Some(TradingAsset::Eth));
    let trade = buy.trade.expect("filled");
    assert_eq!(
        (trade.quantity, trade.price, trade.is_maker),
        (d("0.2"), p, Some(false))
    );

    // Later, at another price, sell by quantity and then by quote amount.
    let t1 = T0 + 3_600_000;
    server.state().clock.set_ms(t1);
    let p1 = price(&server, Symbol::Eth, t1);
    let sell = place(
        &client,
        json!({"symbol":"ETHUSDT","side":"SELL","type":"MARKET","quantity":"0.05"}),
    )
    .await;
    let sell_fee = d("0.05") * p1 * fee_rate();
    assert_eq!(sell.order.price, p1);
    assert_eq!(sell.order.fee, Some(sell_fee));
    assert_eq!(sell.order.fee_asset, Some(TradingAsset::Usdt));
    assert_eq!(sell.order.transact_time, t1);
    let by_quote = place(
        &client,
        json!({"symbol":"ETHUSDT","side":"SELL","type":"MARKET","quoteOrderQty":"100"}),
    )
    .await;
    let q = floor_to(d("100") / p1, d("0.0001"));
    assert_eq!(by_quote.order.orig_qty, Some(q));
    assert_eq!(by_quote.order.orig_quote_order_qty, Some(d("100")));
    let received = q * p1;
    assert!(
        received <= d("100"),
        "never receives more than quoteOrderQty before fee"
    );
    assert_eq!(by_quote.order.cumulative_quote_qty, Some(received));
    let quote_fee = received * fee_rate();
    assert_eq!(by_quote.trade.unwrap().fee, Some(quote_fee));

    let after = balances(&client).await;
    let eth = d("0.2") - d("0.0002") - d("0.05") - q;
    assert_eq!(holding(&after, TradingAsset::Eth), (eth, d("0"), eth));
    let usdt = d("10000") - d("0.2") * p + d("0.05") * p1 - sell_fee + received - quote_fee;
    assert_eq!(holding(&after, TradingAsset::Usdt), (usdt, d("0"), usdt));
}

#[tokio::test]
async fn a_marketable_limit_fills_at_once_at_the_feed_price_as_taker() {
    let (server, _user, client) = start("limit-taker").await;
    let p = price(&server, Symbol::Eth, T0);
    let limit = p + d("100");
    let placed = place(
        &client,
        json!({"symbol":"ETHUSDT","side":"BUY","type":"LIMIT","quantity":"0.5","price": text(limit)}),
    )
    .await;
    assert_eq!(placed.message, "Order placed successfully");
    assert_eq!(placed.order.status, TradingOrderStatus::Filled);
    assert_eq!(
        placed.order.time_in_force,
        Some(TradingTimeInForce::Gtc),
        "GTC by default"
    );
    assert_eq!(placed.order.price, limit, "order.price is the limit price");
    assert_eq!(placed.order.cumulative_quote_qty, Some(d("0.5") * p));
    let trade = placed.trade.expect("filled");
    assert_eq!(trade.price, p, "fills at the feed price, better than the limit");
    assert_eq!(trade.type_, TradingOrderType::Limit);
    assert_eq!(trade.is_maker, Some(false));
    let after = balances(&client).await;
    let usdt = d("10000") - d("0.5") * p;
    assert_eq!(
        holding(&after, TradingAsset::Usdt),
        (usdt, d("0"), usdt),
        "pays the feed price, locks nothing"
    );

    // IOC and FOK fill completely when marketable, as the market has unlimited depth.
    let sell_limit = p - d("100");
    for tif in ["IOC", "FOK"] {
        let sold = place(
            &client,
            json!({"symbol":"ETHUSDT","side":"SELL","type":"LIMIT","quantity":"0.1","price": text(sell_limit),"timeInForce": tif}),
        )
        .await;
        assert_eq!(sold.order.status, TradingOrderStatus::Filled, "{tif}");
        assert_eq!(sold.order.executed_qty, d("0.1"), "{tif}");
        let trade = sold.trade.expect("filled");
        assert_eq!((trade.price, trade.is_maker), (p, Some(false)), "{tif}");
    }
    let eth = d("0.5") - d("0.0005") - d("0.2");
    assert_eq!(holding(&balances(&client).await, TradingAsset::Eth), (eth, d("0"), eth));
}

#[tokio::test]
async fn a_gtc_limit_rests_locking_its_funds_and_cancel_releases_them() {
    let (server, _user, client) = start("limit-rest").await;
    let p = price(&server, Symbol::Eth, T0);
    let limit = floor_to(p * d("0.9"), d("0.01"));
    let placed = place(
        &client,
        json!({"symbol":"ETHUSDT","side":"BUY","type":"LIMIT","quantity":"0.5","price": text(limit),"timeInForce":"GTC","clientOrderId":"eth-dip-1"}),
    )
    .await;
    assert_eq!(placed.message, "Order placed successfully");
    assert!(placed.trade.is_none(), "nothing filled");
    let order = placed.order;
    assert_eq!(order.status, TradingOrderStatus::New);
    assert_eq!(order.client_order_id.as_deref().map(String::as_str), Some("eth-dip-1"));
    assert_eq!(order.executed_qty, d("0"));
    assert_eq!(order.cumulative_quote_qty, Some(d("0")));
    assert_eq!(order.fee, Some(d("0")));
    assert_eq!(order.fee_asset, Some(TradingAsset::Eth));
    assert_eq!(order.price, limit);
    let locked = d("0.5") * limit;
    let during = balances(&client).await;
    assert_eq!(during.len(), 1, "no ETH yet: {during:?}");
    assert_eq!(
        holding(&during, TradingAsset::Usdt),
        (d("10000") - locked, locked, d("10000"))
    );
    let read = client.get_order(id_of(&order)).await.unwrap().into_inner().order;
    assert_eq!(
        read.status,
        TradingOrderStatus::New,
        "the feed has not reached the limit"
    );

    let canceled = client
        .cancel_order(id_of(&order))
        .await
        .expect("cancelled")
        .into_inner();
    assert_eq!(canceled.message, "Order canceled successfully");
    assert_eq!(canceled.order.order_id, order.order_id);
    assert_eq!(canceled.order.status, TradingOrderStatus::Canceled);
    assert_eq!(canceled.order.executed_qty, d("0"));
    let after = balances(&client).await;
    assert_eq!(
        holding(&after, TradingAsset::Usdt),
        (d("10000"), d("0"), d("10000")),
        "released at once"
    );
    assert_eq!(
        client.get_order(id_of(&order)).await.unwrap().into_inner().order.status,
        TradingOrderStatus::Canceled
    );
    let (code, body) = failure(client.cancel_order(id_of(&order)).await);
    assert_eq!(code, 400, "{body}");
    assert_eq!(body["message"], "Order cannot be canceled: status is CANCELED");

    // A resting SELL locks the base asset, and its cancellation gives it back.
    place(
        &client,
        json!({"symbol":"ETHUSDT","side":"BUY","type":"MARKET","quantity":"1"}),
    )
    .await;
    let sell_limit = floor_to(p * d("1.1"), d("0.01"));
    let sell = place(
        &client,
        json!({"symbol":"ETHUSDT","side":"SELL","type":"LIMIT","quantity":"0.4","price": text(sell_limit)}),
    )
    .await;
    assert_eq!(sell.order.status, TradingOrderStatus::New);
    let usdt = d("10000") - p;
    let during = balances(&client).await;
    assert_eq!(holding(&during, TradingAsset::Eth), (d("0.599"), d("0.4"), d("0.999")));
    assert_eq!(
        holding(&during, TradingAsset::Usdt),
        (usdt, d("0"), usdt),
        "a SELL locks no USDT"
    );
    client.cancel_order(id_of(&sell.order)).await.expect("cancelled");
    assert_eq!(
        holding(&balances(&client).await, TradingAsset::Eth),
        (d("0.999"), d("0"), d("0.999"))
    );
}

#[tokio::test]
async fn non_marketable_ioc_and_fok_expire_and_move_nothing() {
    let (server, _user, client) = start("expire").await;
    let p = price(&server, Symbol::Btc, T0);
    let limit = floor_to(p * d("0.95"), d("0.01"));
    for tif in ["IOC", "FOK"] {
        let placed = place(
            &client,
            json!({"symbol":"BTCUSDT","side":"BUY","type":"LIMIT","quantity":"0.01","price": text(limit),"timeInForce": tif}),
        )
        .await;
        assert_eq!(
            placed.message, "Order expired: not marketable at the current price",
            "{tif}"
        );
        assert!(placed.trade.is_none(), "{tif}");
        assert_eq!(placed.order.status, TradingOrderStatus::Expired, "{tif}");
        assert_eq!(placed.order.executed_qty, d("0"), "{tif}");
        assert_eq!(placed.order.fee, Some(d("0")), "{tif}");
        let (code, body) = failure(client.cancel_order(id_of(&placed.order)).await);
        assert_eq!(
            (code, body["message"].clone()),
            (400, json!("Order cannot be canceled: status is EXPIRED"))
        );
    }
    // An expiring SELL needs no funds either: nothing would move.
    let placed = place(
        &client,
        json!({"symbol":"BTCUSDT","side":"SELL","type":"LIMIT","quantity":"0.01","price": text(p * d("2")),"timeInForce":"IOC"}),
    )
    .await;
    assert_eq!(placed.order.status, TradingOrderStatus::Expired);
    let after = balances(&client).await;
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!(holding(&after, TradingAsset::Usdt), (d("10000"), d("0"), d("10000")));
    assert_eq!(all_trades(&client).await.pagination.total_count, 0, "no fill recorded");
    assert_eq!(
        all_orders(&client).await.pagination.total_count,
        3,
        "expired orders are recorded"
    );
}

#[tokio::test]
async fn a_filled_order_cannot_be_canceled() {
    let (_server, _user, client) = start("cancel-filled").await;
    let placed = place(
        &client,
        json!({"symbol":"SOLUSDT","side":"BUY","type":"MARKET","quoteOrderQty":"50"}),
    )
    .await;
    assert_eq!(placed.order.status, TradingOrderStatus::Filled);
    let before = balances(&client).await;
    let (code, body) = failure(client.cancel_order(id_of(&placed.order)).await);
    assert_eq!(code, 400, "{body}");
    assert_eq!(body["message"], "Order cannot be canceled: status is FILLED");
    assert_eq!(
        serde_json::to_value(balances(&client).await).unwrap(),
        serde_json::to_value(before).unwrap()
    );
}

#[tokio::test]
async fn another_users_order_is_404_and_malformed_ids_are_400() {
    let (server, user, client) = start("owner").await;
    let p = price(&server, Symbol::Eth, T0);
    let resting = place(
        &client,
        json!({"symbol":"ETHUSDT","side":"BUY","type":"LIMIT","quantity":"0.1","price": text(floor_to(p * d("0.9"), d("0.01")))}),
    )
    .await
    .order;
    let other = signed_in_user(&server, "intruder").await;
    let theirs = client_with_token(&server, &other.access_token);
    let (code, body) = failure(theirs.get_order(id_of(&resting)).await);
    assert_eq!(code, 404, "{body}");
    let (code, body) = failure(theirs.cancel_order(id_of(&resting)).await);
    assert_eq!(code, 404, "{body}");
    let missing = NonZeroU64::new(resting.order_id.get() + 1_000_000).unwrap();
    assert_eq!(failure(client.get_order(missing).await).0, 404);
    assert_eq!(failure(client.cancel_order(missing).await).0, 404);
    // The owner's order is untouched.
    let read = client.get_order(id_of(&resting)).await.unwrap().into_inner().order;
    assert_eq!(read.status, TradingOrderStatus::New);

    for id in ["0", "abc", "-5", "1.5", "9223372036854775808"] {
        for method in ["GET", "DELETE"] {
            let (code, body) = request(
                &server,
                method,
                &format!("/api/trading/order/{id}"),
                Some(&user.access_token),
                None,
            )
            .await;
            assert_eq!(code, 400, "{method} {id}: {body}");
        }
    }
}
