//! `GET /api/trading/positions`: one position per base asset held (free plus locked), in
//! `TradingSymbol` order, valued at the current feed price by the average-cost method.

use meridian::types::{TradingAsset, TradingPosition, TradingSymbol};
use meridian_server::domain::symbols::Symbol;
use rust_decimal::Decimal;
use serde_json::json;

use super::support::{T0, balances, ceil_to, d, fee_rate, half_up, holding, place, price, start, text};

/// Checks every derived figure of `p` from its quantity, cost basis and the feed price.
fn check(p: &TradingPosition, quantity: Decimal, cost: Decimal, current: Decimal) {
    assert_eq!(p.quantity, quantity, "{p:?}");
    assert_eq!(p.cost_basis, cost, "{p:?}");
    assert_eq!(p.average_price, half_up(cost / quantity, 8), "{p:?}");
    assert_eq!(p.current_price, current, "{p:?}");
    let value = quantity * current;
    assert_eq!(p.market_value, value, "{p:?}");
    assert_eq!(p.unrealized_pnl, value - cost, "{p:?}");
    assert_eq!(
        p.unrealized_pnl_percent,
        half_up((value - cost) / cost * d("100"), 2),
        "{p:?}"
    );
}

#[tokio::test]
async fn positions_follow_the_average_cost_method_at_the_current_price() {
    let (server, _user, client) = start("positions").await;
    let clock = &server.state().clock;
    let btc0 = price(&server, Symbol::Btc, T0);
    let eth0 = price(&server, Symbol::Eth, T0);
    // ETH bought first, BTC second: positions still come in TradingSymbol order.
    place(
        &client,
        json!({"symbol":"ETHUSDT","side":"BUY","type":"MARKET","quantity":"0.5"}),
    )
    .await;
    let btc = place(
        &client,
        json!({"symbol":"BTCUSDT","side":"BUY","type":"MARKET","quoteOrderQty":"100"}),
    )
    .await;
    let btc_qty = btc.order.orig_qty.unwrap();
    let btc_held = btc_qty - btc_qty * fee_rate();
    let btc_cost = btc_qty * btc0;

    // A second ETH buy an hour later at another price: the cost adds up (fees included).
    let t1 = T0 + 3_600_000;
    clock.set_ms(t1);
    let eth1 = price(&server, Symbol::Eth, t1);
    place(
        &client,
        json!({"symbol":"ETHUSDT","side":"BUY","type":"MARKET","quantity":"0.3"}),
    )
    .await;
    let mut eth_held = d("0.8") - d("0.0008");
    let mut eth_cost = d("0.5") * eth0 + d("0.3") * eth1;
    // A resting SELL keeps its locked ETH in the position.
    let sell = place(
        &client,
        json!({"symbol":"ETHUSDT","side":"SELL","type":"LIMIT","quantity":"0.2","price": text(ceil_to(eth1 * d("1.2"), d("0.01")))}),
    )
    .await;
    assert_eq!(sell.order.status, meridian::types::TradingOrderStatus::New);
    assert_eq!(holding(&balances(&client).await, TradingAsset::Eth).1, d("0.2"));

    let t2 = T0 + 2 * 3_600_000;
    clock.set_ms(t2);
    let positions = client.get_positions().await.unwrap().into_inner().positions;
    assert_eq!(positions.len(), 2, "{positions:?}");
    assert_eq!(
        (positions[0].symbol, positions[0].asset),
        (TradingSymbol::Btcusdt, TradingAsset::Btc)
    );
    assert_eq!(
        (positions[1].symbol, positions[1].asset),
        (TradingSymbol::Ethusdt, TradingAsset::Eth)
    );
    check(&positions[0], btc_held, btc_cost, price(&server, Symbol::Btc, t2));
    check(&positions[1], eth_held, eth_cost, price(&server, Symbol::Eth, t2));

    // Selling part of it removes its share of the cost, at the average (8 places).
    let t3 = T0 + 3 * 3_600_000;
    clock.set_ms(t3);
    place(
        &client,
        json!({"symbol":"ETHUSDT","side":"SELL","type":"MARKET","quantity":"0.25"}),
    )
    .await;
    let removed = half_up(eth_cost * d("0.25") / eth_held, 8);
    eth_cost -= removed;
    eth_held -= d("0.25");
    let positions = client.get_positions().await.unwrap().into_inner().positions;
    check(&positions[1], eth_held, eth_cost, price(&server, Symbol::Eth, t3));
    // The quantity matches the wallet.
    let wallet = balances(&client).await;
    assert_eq!(holding(&wallet, TradingAsset::Eth).2, positions[1].quantity);
    assert_eq!(holding(&wallet, TradingAsset::Btc).2, positions[0].quantity);
}
