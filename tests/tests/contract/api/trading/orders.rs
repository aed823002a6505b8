//! `GET /api/trading/orders`: the caller's orders newest first, seed 000's pagination object,
//! and the status / symbol / side filters.

use std::num::NonZeroU64;

use meridian::GeneratedClient;
use meridian::types::{TradingOrderStatus, TradingSide, TradingSymbol};
use meridian_contract_tests::fixtures::{client_with_token, signed_in_user};
use meridian_server::domain::symbols::Symbol;
use serde_json::json;

use super::support::{T0, d, floor_to, place, price, start, text};

/// The ids of one page, and its pagination `(page, limit, totalCount, totalPages)`.
async fn page(
    client: &GeneratedClient,
    limit: Option<u64>,
    page: Option<u64>,
    side: Option<TradingSide>,
    status: Option<TradingOrderStatus>,
    symbol: Option<TradingSymbol>,
) -> (Vec<u64>, (u64, u64, i64, i64)) {
    let reply = client
        .list_orders(
            limit.and_then(NonZeroU64::new),
            page.and_then(NonZeroU64::new),
            side,
            status,
            symbol,
        )
        .await
        .expect("orders")
        .into_inner();
    let p = reply.pagination;
    (
        reply.orders.iter().map(|o| o.order_id.get()).collect(),
        (p.page.get(), p.limit.get(), p.total_count, p.total_pages),
    )
}

#[tokio::test]
async fn orders_are_listed_newest_first_with_pagination_and_filters() {
    let (server, _user, client) = start("orders").await;
    let clock = &server.state().clock;
    let eth = price(&server, Symbol::Eth, T0);
    let sol = price(&server, Symbol::Sol, T0);

    // Five orders a second apart, of every kind of outcome.
    let o1 = place(
        &client,
        json!({"symbol":"BTCUSDT","side":"BUY","type":"MARKET","quoteOrderQty":"100"}),
    )
    .await;
    clock.set_ms(T0 + 1_000);
    let o2 = place(
        &client,
        json!({"symbol":"ETHUSDT","side":"BUY","type":"LIMIT","quantity":"0.5","price": text(floor_to(eth * d("0.9"), d("0.01")))}),
    )
    .await;
    clock.set_ms(T0 + 2_000);
    let o3 = place(
        &client,
        json!({"symbol":"ETHUSDT","side":"BUY","type":"LIMIT","quantity":"0.5","price": text(floor_to(eth * d("0.9"), d("0.01"))),"timeInForce":"IOC"}),
    )
    .await;
    clock.set_ms(T0 + 3_000);
    let o4 = place(
        &client,
        json!({"symbol":"BTCUSDT","side":"SELL","type":"MARKET","quantity":"0.0002"}),
    )
    .await;
    clock.set_ms(T0 + 4_000);
    let o5 = place(
        &client,
        json!({"symbol":"SOLUSDT","side":"BUY","type":"LIMIT","quantity":"1","price": text(floor_to(sol * d("0.9"), d("0.01")))}),
    )
    .await;
    clock.set_ms(T0 + 5_000);
    client.cancel_order(o5.order.order_id).await.expect("cancelled");
    let [o1, o2, o3, o4, o5] = [&o1, &o2, &o3, &o4, &o5].map(|o| o.order.order_id.get());

    let all = client
        .list_orders(None, None, None, None, None)
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<u64> = all.orders.iter().map(|o| o.order_id.get()).collect();
    assert_eq!(ids, [o5, o4, o3, o2, o1], "newest first");
    let statuses: Vec<TradingOrderStatus> = all.orders.iter().map(|o| o.status).collect();
    assert_eq!(
        statuses,
        [
            TradingOrderStatus::Canceled,
            TradingOrderStatus::Filled,
            TradingOrderStatus::Expired,
            TradingOrderStatus::New,
            TradingOrderStatus::Filled
        ]
    );
    let times: Vec<i64> = all.orders.iter().map(|o| o.transact_time).collect();
    assert_eq!(times, [T0 + 4_000, T0 + 3_000, T0 + 2_000, T0 + 1_000, T0]);
    assert_eq!(
        all.orders[0].updated_at.unwrap().timestamp_millis(),
        T0 + 5_000,
        "updatedAt follows the cancellation"
    );
    let p = &all.pagination;
    assert_eq!(
        (p.page.get(), p.limit.get(), p.total_count, p.total_pages),
        (1, 20, 5, 1)
    );

    // Pages of two.
    assert_eq!(
        page(&client, Some(2), None, None, None, None).await,
        (vec![o5, o4], (1, 2, 5, 3))
    );
    assert_eq!(
        page(&client, Some(2), Some(2), None, None, None).await,
        (vec![o3, o2], (2, 2, 5, 3))
    );
    assert_eq!(
        page(&client, Some(2), Some(3), None, None, None).await,
        (vec![o1], (3, 2, 5, 3))
    );
    assert_eq!(
        page(&client, Some(2), Some(4), None, None, None).await,
        (vec![], (4, 2, 5, 3))
    );
    assert_eq!(page(&client, Some(5), None, None, None, None).await.1, (1, 5, 5, 1));

    // Filters, alone and together.
    use TradingOrderStatus as S;
    type Case = (Option<TradingSide>, Option<S>, Option<TradingSymbol>, Vec<u64>);
    let cases: [Case; 9] = [
        (None, Some(S::New), None, vec![o2]),
        (None, Some(S::Filled), None, vec![o4, o1]),
        (None, Some(S::Canceled), None, vec![o5]),
        (None, Some(S::Expired), None, vec![o3]),
        (None, Some(S::PartiallyFilled), None, vec![]),
        (None, None, Some(TradingSymbol::Ethusdt), vec![o3, o2]),
        (Some(TradingSide::Sell), None, None, vec![o4]),
        (
            Some(TradingSide::Buy),
            Some(S::Filled),
            Some(TradingSymbol::Btcusdt),
            vec![o1],
        ),
        (None, None, Some(TradingSymbol::Dogeusdt), vec![]),
    ];
    for (side, status, symbol, expected) in cases {
        let n = expected.len() as i64;
        let (ids, pagination) = page(&client, None, None, side, status, symbol).await;
        assert_eq!(ids, expected, "{side:?} {status:?} {symbol:?}");
        assert_eq!(pagination, (1, 20, n, n.min(1)), "{side:?} {status:?} {symbol:?}");
    }
    let (ids, pagination) = page(&client, Some(1), Some(2), Some(TradingSide::Buy), None, None).await;
    assert_eq!((ids, pagination), (vec![o3], (2, 1, 4, 4)));

    // Nobody else sees them.
    let other = signed_in_user(&server, "orders-other").await;
    let theirs = client_with_token(&server, &other.access_token);
    assert_eq!(
        page(&theirs, None, None, None, None, None).await,
        (vec![], (1, 20, 0, 0))
    );
}
