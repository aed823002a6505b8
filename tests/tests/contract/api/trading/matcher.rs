//! Resting GTC orders fill completely at their limit price (maker) once the feed reaches it:
//! on the owner's next trading read, before a cancellation, and in the background matcher
//! with nobody reading.

use std::time::Duration;

use meridian::types::{TradingAsset, TradingOrderStatus};
use meridian_contract_tests::fixtures::failure;
use meridian_server::db::trading as store;
use meridian_server::domain::symbols::Symbol;
use serde_json::json;

use super::support::{
    MINUTE, T0, all_trades, balances, ceil_to, d, fee_rate, first_minute, floor_to, holding, id_of, place, price,
    start, text,
};

#[tokio::test]
async fn a_resting_buy_fills_at_its_limit_on_the_owners_next_read_once_the_feed_reaches_it() {
    let (server, _user, client) = start("match-buy").await;
    let p = price(&server, Symbol::Eth, T0);
    let limit = floor_to(p * d("0.99"), d("0.01"));
    let placed = place(
        &client,
        json!({"symbol":"ETHUSDT","side":"BUY","type":"LIMIT","quantity":"0.5","price": text(limit)}),
    )
    .await;
    assert_eq!(placed.order.status, TradingOrderStatus::New);
    let crossing = first_minute(&server, Symbol::Eth, T0, |price| price <= limit);

    // A minute before the feed reaches the limit: still resting.
    server.state().clock.set_ms(crossing - MINUTE);
    let order = client.get_order(id_of(&placed.order)).await.unwrap().into_inner().order;
    assert_eq!(order.status, TradingOrderStatus::New, "not crossed yet");
    assert_eq!(all_trades(&client).await.pagination.total_count, 0);

    // Once it has: the owner's read fills it first, at the limit price.
    server.state().clock.set_ms(crossing);
    let order = client.get_order(id_of(&placed.order)).await.unwrap().into_inner().order;
    let quote = d("0.5") * limit;
    let fee = d("0.5") * fee_rate();
    assert_eq!(order.status, TradingOrderStatus::Filled);
    assert_eq!(order.executed_qty, d("0.5"));
    assert_eq!(
        order.cumulative_quote_qty,
        Some(quote),
        "at the limit price, not the feed's"
    );
    assert_eq!(order.fee, Some(fee));
    assert_eq!(order.fee_asset, Some(TradingAsset::Eth));
    assert_eq!(order.price, limit);
    assert_eq!(order.transact_time, T0, "placement time stays");
    assert_eq!(order.updated_at.unwrap().timestamp_millis(), crossing);

    let trades = all_trades(&client).await.trades;
    assert_eq!(trades.len(), 1);
    let trade = &trades[0];
    assert_eq!(*trade.order_id, order.order_id.to_string());
    assert_eq!((trade.price, trade.quantity), (limit, d("0.5")));
    assert_eq!(trade.quote_qty, Some(quote));
    assert_eq!(trade.fee, Some(fee));
    assert_eq!(trade.is_maker, Some(true), "a resting order fills as maker");
    assert_eq!(trade.executed_at.timestamp_millis(), crossing);

    let wallet = balances(&client).await;
    let usdt = d("10000") - quote;
    assert_eq!(
        holding(&wallet, TradingAsset::Usdt),
        (usdt, d("0"), usdt),
        "the lock is spent exactly"
    );
    assert_eq!(
        holding(&wallet, TradingAsset::Eth),
        (d("0.5") - fee, d("0"), d("0.5") - fee)
    );
    // Filled: no longer cancellable.
    let (code, body) = failure(client.cancel_order(id_of(&order)).await);
    assert_eq!(
        (code, body["message"].clone()),
        (400, json!("Order cannot be canceled: status is FILLED"))
    );
}

#[tokio::test]
async fn a_resting_sell_fills_when_the_feed_rises_and_a_crossed_order_cannot_be_canceled() {
    let (server, _user, client) = start("match-sell").await;
    let p = price(&server, Symbol::Eth, T0);
    place(
        &client,
        json!({"symbol":"ETHUSDT","side":"BUY","type":"MARKET","quantity":"1"}),
    )
    .await;
    let limit = ceil_to(p * d("1.01"), d("0.01"));
    let sell = place(
        &client,
        json!({"symbol":"ETHUSDT","side":"SELL","type":"LIMIT","quantity":"0.6","price": text(limit)}),
    )
    .await;
    assert_eq!(sell.order.status, TradingOrderStatus::New);
    let crossing = first_minute(&server, Symbol::Eth, T0, |price| price >= limit);
    // The market crosses it; the owner's first action is a cancellation, which comes too late.
    server.state().clock.set_ms(crossing + 30_000);
    let (code, body) = failure(client.cancel_order(id_of(&sell.order)).await);
    assert_eq!(code, 400, "{body}");
    assert_eq!(body["message"], "Order cannot be canceled: status is FILLED");

    let order = client.get_order(id_of(&sell.order)).await.unwrap().into_inner().order;
    let quote = d("0.6") * limit;
    let fee = quote * fee_rate();
    assert_eq!(order.status, TradingOrderStatus::Filled);
    assert_eq!(order.cumulative_quote_qty, Some(quote));
    assert_eq!(order.fee, Some(fee));
    assert_eq!(order.fee_asset, Some(TradingAsset::Usdt));
    let trade = &all_trades(&client).await.trades[0];
    assert_eq!((trade.price, trade.is_maker), (limit, Some(true)));

    let wallet = balances(&client).await;
    let eth = d("0.999") - d("0.6");
    assert_eq!(holding(&wallet, TradingAsset::Eth), (eth, d("0"), eth));
    let usdt = d("10000") - p + quote - fee;
    assert_eq!(holding(&wallet, TradingAsset::Usdt), (usdt, d("0"), usdt));
    // Realized against the average cost of 0.6 of the 0.999 held.
    let portfolio = client.get_portfolio().await.unwrap().into_inner().portfolio;
    let removed = super::support::half_up(p * d("0.6") / d("0.999"), 8);
    assert_eq!(portfolio.realized_pnl, quote - fee - removed);
}

/// Waits for `n` more completed sweeps of the background matcher (at most 10 s).
async fn sweeps(receiver: &mut tokio::sync::watch::Receiver<u64>, n: usize) {
    for _ in 0..n {
        tokio::time::timeout(Duration::from_secs(10), receiver.changed())
            .await
            .expect("the matcher sweeps at least once a second")
            .expect("the matcher is running");
    }
}

#[tokio::test]
async fn the_background_matcher_fills_crossed_orders_with_nobody_reading() {
    let (server, user, client) = start("match-background").await;
    let p = price(&server, Symbol::Eth, T0);
    let limit = floor_to(p * d("0.99"), d("0.01"));
    let near = place(
        &client,
        json!({"symbol":"ETHUSDT","side":"BUY","type":"LIMIT","quantity":"0.5","price": text(limit)}),
    )
    .await
    .order;
    let far = place(
        &client,
        json!({"symbol":"ETHUSDT","side":"BUY","type":"LIMIT","quantity":"0.5","price": text(floor_to(p * d("0.5"), d("0.01")))}),
    )
    .await
    .order;
    let crossing = first_minute(&server, Symbol::Eth, T0, |price| price <= limit);
    let find = |id: std::num::NonZeroU64| {
        let state = server.state().clone();
        let user_id = user.id.clone();
        async move {
            let mut conn = state.db.conn().await.expect("connection");
            store::find_order(&mut conn, &user_id, id.get() as i64)
                .await
                .expect("the order")
        }
    };

    // Sweeps at T0 leave both resting.
    let mut receiver = server.state().matcher.subscribe();
    sweeps(&mut receiver, 2).await;
    assert_eq!(find(near.order_id).await.status, "NEW");

    // Move the market past the near limit and let two sweeps run, reading nothing.
    server.state().clock.set_ms(crossing);
    let mut receiver = server.state().matcher.subscribe();
    sweeps(&mut receiver, 2).await;
    let filled = find(near.order_id).await;
    assert_eq!(filled.status, "FILLED", "{filled:?}");
    assert_eq!(d(&filled.executed_qty), d("0.5"));
    assert_eq!(d(&filled.cumulative_quote_qty), d("0.5") * limit);
    assert_eq!(d(&filled.locked_amount), d("0"));
    assert_eq!(find(far.order_id).await.status, "NEW", "only crossed orders fill");
    let wallet = {
        let mut conn = server.state().db.conn().await.expect("connection");
        store::wallet(&mut conn, &user.id).await.expect("wallet")
    };
    let usdt = wallet.balance(meridian_server::domain::symbols::Asset::Usdt);
    let far_lock = d("0.5") * floor_to(p * d("0.5"), d("0.01"));
    assert_eq!(usdt.locked, far_lock, "the filled order's lock is spent");
    assert_eq!(usdt.free, d("10000") - d("0.5") * limit - far_lock);

    // The API shows the same maker fill afterwards.
    let trades = all_trades(&client).await.trades;
    assert_eq!(trades.len(), 1);
    assert_eq!((trades[0].price, trades[0].is_maker), (limit, Some(true)));
    assert_eq!(trades[0].executed_at.timestamp_millis(), crossing);
}
