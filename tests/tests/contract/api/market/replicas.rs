//! Replica determinism: two servers (no shared state) quote the same prices, tickers,
//! candles and order books at the same market time.

use std::num::NonZeroU64;

use meridian::types::{GetOrderBookLimit, MarketInterval};
use meridian_contract_tests::TestServer;
use meridian_server::domain::symbols::Symbol;
use serde_json::{Value, to_value};

use super::{T0, market_at, sdk};

/// Every market answer of `server`, as JSON.
async fn answers(server: &TestServer) -> Vec<Value> {
    let client = server.client();
    let mut seen = vec![
        to_value(client.list_prices(None).await.expect("200").into_inner()).unwrap(),
        to_value(client.list_tickers().await.expect("200").into_inner()).unwrap(),
    ];
    for symbol in [Symbol::Btc, Symbol::Ada] {
        let depth = GetOrderBookLimit::try_from(50).unwrap();
        let candles = client
            .get_candles(None, Some(MarketInterval::X15m), NonZeroU64::new(50), None, sdk(symbol))
            .await
            .expect("200");
        seen.extend([
            to_value(client.get_price(sdk(symbol)).await.expect("200").into_inner()).unwrap(),
            to_value(client.get_symbol_price(sdk(symbol)).await.expect("200").into_inner()).unwrap(),
            to_value(client.get_ticker(sdk(symbol)).await.expect("200").into_inner()).unwrap(),
            to_value(
                client
                    .get_order_book(Some(&depth), sdk(symbol))
                    .await
                    .expect("200")
                    .into_inner(),
            )
            .unwrap(),
            to_value(candles.into_inner()).unwrap(),
        ]);
    }
    seen
}

#[tokio::test]
async fn two_servers_quote_the_same_market_at_the_same_instant() {
    let now = T0 + 123_456;
    let (a, b) = (market_at(now).await, market_at(now).await);
    let (first, second) = (answers(&a).await, answers(&b).await);
    assert_eq!(first.len(), 12);
    assert_eq!(first, second);
}
