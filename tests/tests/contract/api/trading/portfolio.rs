//! `GET /api/trading/portfolio`: totals consistent with the balances and positions, realized
//! P&L of a sale against average cost, and `totalPnl = realizedPnl + unrealizedPnl =
//! totalValue − 10000` exactly.

use meridian::types::TradingAsset;
use meridian_server::domain::symbols::Symbol;
use rust_decimal::Decimal;
use serde_json::json;

use super::support::{T0, balances, d, fee_rate, floor_to, half_up, holding, place, price, start, text};

#[tokio::test]
async fn the_portfolio_adds_up_and_a_sale_realizes_pnl() {
    let (server, _user, client) = start("portfolio").await;
    let clock = &server.state().clock;
    let eth0 = price(&server, Symbol::Eth, T0);
    place(
        &client,
        json!({"symbol":"ETHUSDT","side":"BUY","type":"MARKET","quantity":"0.5"}),
    )
    .await;
    place(
        &client,
        json!({"symbol":"BTCUSDT","side":"BUY","type":"MARKET","quoteOrderQty":"1000"}),
    )
    .await;
    // Before any sale nothing is realized, and the P&L is the unrealized one.
    let before = client.get_portfolio().await.unwrap().into_inner().portfolio;
    assert_eq!(before.realized_pnl, d("0"));
    assert_eq!(before.total_pnl, before.unrealized_pnl);
    assert_eq!(before.total_pnl, before.total_value - d("10000"));

    // An hour later, sell 0.2 ETH: realized = proceeds after fee − average cost of 0.2.
    let t1 = T0 + 3_600_000;
    clock.set_ms(t1);
    let eth1 = price(&server, Symbol::Eth, t1);
    place(
        &client,
        json!({"symbol":"ETHUSDT","side":"SELL","type":"MARKET","quantity":"0.2"}),
    )
    .await;
    let proceeds = d("0.2") * eth1 * (d("1") - fee_rate());
    let realized = proceeds - half_up(d("0.5") * eth0 * d("0.2") / d("0.4995"), 8);
    // A resting BUY locks USDT, which still counts as cash.
    let sol = price(&server, Symbol::Sol, t1);
    let resting = place(
        &client,
        json!({"symbol":"SOLUSDT","side":"BUY","type":"LIMIT","quantity":"2","price": text(floor_to(sol * d("0.8"), d("0.01")))}),
    )
    .await;
    assert_eq!(resting.order.status, meridian::types::TradingOrderStatus::New);

    let t2 = T0 + 2 * 3_600_000;
    clock.set_ms(t2);
    let portfolio = client.get_portfolio().await.unwrap().into_inner().portfolio;
    let positions = client.get_positions().await.unwrap().into_inner().positions;
    let wallet = balances(&client).await;
    let (_, locked, cash) = holding(&wallet, TradingAsset::Usdt);
    assert!(locked > d("0"));
    assert_eq!(portfolio.cash, cash, "USDT free plus locked");
    let positions_value: Decimal = positions.iter().map(|p| p.market_value).sum();
    let unrealized: Decimal = positions.iter().map(|p| p.unrealized_pnl).sum();
    assert_eq!(portfolio.positions_value, positions_value);
    assert_eq!(portfolio.unrealized_pnl, unrealized);
    assert_eq!(portfolio.total_value, cash + positions_value);
    assert_eq!(portfolio.realized_pnl, realized);
    assert_eq!(portfolio.total_pnl, realized + unrealized);
    assert_eq!(portfolio.total_pnl, portfolio.total_value - d("10000"), "exactly");
    assert_eq!(
        portfolio.total_pnl_percent,
        half_up(portfolio.total_pnl / d("10000") * d("100"), 2)
    );
    assert_eq!(portfolio.initial_balance, d("10000"));
    assert_eq!(portfolio.updated_at.timestamp_millis(), t2);

    // Selling everything of an asset realizes all of its cost.
    let btc_held = holding(&wallet, TradingAsset::Btc).0;
    let sellable = floor_to(btc_held, d("0.00001"));
    place(
        &client,
        json!({"symbol":"BTCUSDT","side":"SELL","type":"MARKET","quantity": text(sellable)}),
    )
    .await;
    let after = client.get_portfolio().await.unwrap().into_inner().portfolio;
    assert_eq!(after.total_pnl, after.realized_pnl + after.unrealized_pnl);
    assert_eq!(
        after.total_pnl,
        after.total_value - d("10000"),
        "exactly, after a second sale"
    );
}
