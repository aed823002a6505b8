//! `GET /api/trading/balances`: a new user's demo wallet (10000 USDT free and nothing else,
//! with every other trading read empty), and the assets listed in `TradingAsset` order.

use meridian::types::{TradingAsset, TradingPortfolioQuoteAsset};
use meridian_contract_tests::fixtures::request;
use serde_json::json;

use super::support::{T0, all_orders, all_trades, balances, d, holding, place, start};

#[tokio::test]
async fn a_new_user_has_only_10000_usdt_free() {
    let (server, user, client) = start("new-wallet").await;
    let (code, raw) = request(&server, "GET", "/api/trading/balances", Some(&user.access_token), None).await;
    assert_eq!(code, 200, "{raw}");
    assert_eq!(
        raw,
        json!({"balances": [{"asset": "USDT", "free": 10000, "locked": 0, "total": 10000}]})
    );
    let typed = balances(&client).await;
    assert_eq!(typed.len(), 1);
    assert_eq!(holding(&typed, TradingAsset::Usdt), (d("10000"), d("0"), d("10000")));

    // The other reads agree: no positions, no orders, no fills, a flat portfolio.
    assert!(client.get_positions().await.unwrap().into_inner().positions.is_empty());
    let orders = all_orders(&client).await;
    assert!(orders.orders.is_empty());
    assert_eq!((orders.pagination.total_count, orders.pagination.total_pages), (0, 0));
    assert_eq!(all_trades(&client).await.pagination.total_count, 0);
    let portfolio = client.get_portfolio().await.unwrap().into_inner().portfolio;
    assert_eq!(portfolio.quote_asset, TradingPortfolioQuoteAsset::Usdt);
    assert_eq!(portfolio.initial_balance, d("10000"));
    assert_eq!(portfolio.cash, d("10000"));
    assert_eq!(portfolio.total_value, d("10000"));
    assert_eq!(portfolio.positions_value, d("0"));
    assert_eq!(portfolio.realized_pnl, d("0"));
    assert_eq!(portfolio.unrealized_pnl, d("0"));
    assert_eq!(portfolio.total_pnl, d("0"));
    assert_eq!(portfolio.total_pnl_percent, d("0"));
    assert_eq!(portfolio.updated_at.timestamp_millis(), T0);
}

#[tokio::test]
async fn balances_list_usdt_first_then_held_assets_in_asset_order() {
    let (_server, _user, client) = start("wallet-order").await;
    for symbol in ["SOLUSDT", "BTCUSDT", "DOGEUSDT", "ETHUSDT"] {
        place(
            &client,
            json!({"symbol": symbol, "side":"BUY","type":"MARKET","quoteOrderQty":"50"}),
        )
        .await;
    }
    let listed = balances(&client).await;
    let assets: Vec<TradingAsset> = listed.iter().map(|b| b.asset).collect();
    assert_eq!(
        assets,
        [
            TradingAsset::Usdt,
            TradingAsset::Btc,
            TradingAsset::Eth,
            TradingAsset::Doge,
            TradingAsset::Sol
        ]
    );
    for b in &listed {
        assert!(b.free > d("0"), "{b:?}");
        assert_eq!(b.locked, d("0"), "{b:?}");
        assert_eq!(b.total, b.free + b.locked, "{b:?}");
    }
    let usdt = holding(&listed, TradingAsset::Usdt).0;
    assert!(
        usdt >= d("9800") && usdt < d("10000"),
        "at most 4 × 50 USDT spent: {usdt}"
    );
}
