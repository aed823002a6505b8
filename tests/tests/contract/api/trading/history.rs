//! `GET /api/trading/history`: the caller's fills (one per executed order), newest first,
//! paginated, filtered by symbol and side; orders that did not fill leave no trade.

use std::num::NonZeroU64;

use meridian::GeneratedClient;
use meridian::types::{TradingAsset, TradingOrderType, TradingSide, TradingSymbol, TradingTradeStatus};
use meridian_contract_tests::fixtures::{client_with_token, signed_in_user};
use meridian_server::domain::symbols::Symbol;
use serde_json::json;

use super::support::{T0, d, fee_rate, floor_to, place, price, start, text};

/// The order ids of one page of fills, and its pagination.
async fn page(
    client: &GeneratedClient,
    limit: Option<u64>,
    page: Option<u64>,
    side: Option<TradingSide>,
    symbol: Option<TradingSymbol>,
) -> (Vec<String>, (u64, u64, i64, i64)) {
    let reply = client
        .list_trades(
            limit.and_then(NonZeroU64::new),
            page.and_then(NonZeroU64::new),
            side,
            symbol,
        )
        .await
        .expect("history")
        .into_inner();
    let p = reply.pagination;
    (
        reply.trades.iter().map(|t| t.order_id.to_string()).collect(),
        (p.page.get(), p.limit.get(), p.total_count, p.total_pages),
    )
}

#[tokio::test]
async fn fills_are_listed_newest_first_with_pagination_and_filters() {
    let (server, _user, client) = start("history").await;
    let clock = &server.state().clock;
    let mut fills = Vec::new();
    let bodies = [
        json!({"symbol":"BTCUSDT","side":"BUY","type":"MARKET","quoteOrderQty":"100"}),
        json!({"symbol":"ETHUSDT","side":"BUY","type":"MARKET","quantity":"0.5"}),
        json!({"symbol":"ETHUSDT","side":"SELL","type":"MARKET","quantity":"0.2"}),
        json!({"symbol":"SOLUSDT","side":"BUY","type":"MARKET","quantity":"1"}),
    ];
    for (k, body) in bodies.into_iter().enumerate() {
        clock.set_ms(T0 + 1_000 * k as i64);
        fills.push(place(&client, body).await);
    }
    // Orders that do not fill leave no trade.
    let eth = price(&server, Symbol::Eth, T0 + 3_000);
    let below = text(floor_to(eth * d("0.9"), d("0.01")));
    place(
        &client,
        json!({"symbol":"ETHUSDT","side":"BUY","type":"LIMIT","quantity":"0.1","price": below}),
    )
    .await;
    place(
        &client,
        json!({"symbol":"ETHUSDT","side":"BUY","type":"LIMIT","quantity":"0.1","price": below,"timeInForce":"FOK"}),
    )
    .await;
    let ids: Vec<String> = fills.iter().map(|f| f.order.order_id.to_string()).collect();

    let all = client.list_trades(None, None, None, None).await.unwrap().into_inner();
    assert_eq!(all.trades.len(), 4);
    let listed: Vec<String> = all.trades.iter().map(|t| t.order_id.to_string()).collect();
    assert_eq!(
        listed,
        [&ids[3], &ids[2], &ids[1], &ids[0]].map(String::clone),
        "newest first"
    );
    let p = &all.pagination;
    assert_eq!(
        (p.page.get(), p.limit.get(), p.total_count, p.total_pages),
        (1, 20, 4, 1)
    );
    // Each trade is the fill returned when its order was placed.
    for (trade, placed) in all.trades.iter().rev().zip(&fills) {
        assert_eq!(
            serde_json::to_value(trade).unwrap(),
            serde_json::to_value(placed.trade.as_ref().unwrap()).unwrap()
        );
    }
    // The sale, in detail.
    let sale = &all.trades[1];
    let eth2 = price(&server, Symbol::Eth, T0 + 2_000);
    assert_eq!(
        (sale.symbol, sale.side, sale.type_),
        (TradingSymbol::Ethusdt, TradingSide::Sell, TradingOrderType::Market)
    );
    assert_eq!((sale.quantity, sale.price), (d("0.2"), eth2));
    assert_eq!(sale.quote_qty, Some(d("0.2") * eth2));
    assert_eq!(sale.fee, Some(d("0.2") * eth2 * fee_rate()));
    assert_eq!(sale.fee_asset, Some(TradingAsset::Usdt));
    assert_eq!((sale.is_maker, sale.status), (Some(false), TradingTradeStatus::Filled));
    assert_eq!(sale.executed_at.timestamp_millis(), T0 + 2_000);

    // Pages and filters.
    let [a, b, c, e] = [&ids[0], &ids[1], &ids[2], &ids[3]].map(String::clone);
    assert_eq!(
        page(&client, Some(3), None, None, None).await,
        (vec![e.clone(), c.clone(), b.clone()], (1, 3, 4, 2))
    );
    assert_eq!(
        page(&client, Some(3), Some(2), None, None).await,
        (vec![a.clone()], (2, 3, 4, 2))
    );
    assert_eq!(
        page(&client, Some(3), Some(3), None, None).await,
        (vec![], (3, 3, 4, 2))
    );
    assert_eq!(
        page(&client, None, None, None, Some(TradingSymbol::Ethusdt)).await,
        (vec![c.clone(), b.clone()], (1, 20, 2, 1))
    );
    assert_eq!(
        page(&client, None, None, Some(TradingSide::Sell), None).await,
        (vec![c.clone()], (1, 20, 1, 1))
    );
    assert_eq!(
        page(
            &client,
            None,
            None,
            Some(TradingSide::Buy),
            Some(TradingSymbol::Ethusdt)
        )
        .await,
        (vec![b.clone()], (1, 20, 1, 1))
    );
    assert_eq!(
        page(&client, Some(1), Some(2), Some(TradingSide::Buy), None).await,
        (vec![b], (2, 1, 3, 3))
    );
    assert_eq!(
        page(&client, None, None, None, Some(TradingSymbol::Xrpusdt)).await,
        (vec![], (1, 20, 0, 0))
    );

    // Nobody else sees them.
    let other = signed_in_user(&server, "history-other").await;
    let theirs = client_with_token(&server, &other.access_token);
    assert_eq!(page(&theirs, None, None, None, None).await, (vec![], (1, 20, 0, 0)));
}
