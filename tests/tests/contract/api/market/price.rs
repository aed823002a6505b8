//! `GET /api/market/price` (get_price), `GET /api/market/price/{symbol}` (get_symbol_price)
//! and `GET /api/market/prices` (list_prices): the feed price at the market clock's time.

use meridian::types::ListPricesSymbols;
use meridian_server::domain::symbols::Symbol;

use super::{T0, assert_invalid_symbol, bad_request, domain, market_at, sdk};

#[tokio::test]
async fn a_price_is_the_feed_price_at_the_current_instant() {
    let now = T0 + 12_345;
    let server = market_at(now).await;
    let client = server.client();
    for symbol in Symbol::ALL {
        let by_query = client.get_price(sdk(symbol)).await.expect("200").into_inner();
        assert_eq!(domain(by_query.symbol), symbol);
        assert_eq!(by_query.price, server.state().feed.price(symbol, now), "{symbol}");
        assert_eq!(by_query.timestamp.timestamp_millis(), now);
        let by_path = client.get_symbol_price(sdk(symbol)).await.expect("200").into_inner();
        assert_eq!((domain(by_path.symbol), by_path.price), (symbol, by_query.price));
        assert_eq!(by_path.timestamp, by_query.timestamp);
    }
    // The price follows the clock.
    server.state().clock.set_ms(now + 3 * 3_600_000);
    let later = client.get_price(sdk(Symbol::Btc)).await.expect("200").into_inner();
    assert_eq!(later.price, server.state().feed.price(Symbol::Btc, now + 3 * 3_600_000));
    assert_eq!(later.timestamp.timestamp_millis(), now + 3 * 3_600_000);
}

#[tokio::test]
async fn listed_prices_keep_the_requested_order_once_each_at_one_instant() {
    let now = T0 + 777;
    let server = market_at(now).await;
    let client = server.client();
    let symbols: ListPricesSymbols = "SOLUSDT,BTCUSDT,SOLUSDT,ADAUSDT".parse().expect("a valid list");
    let listed = client.list_prices(Some(&symbols)).await.expect("200").into_inner();
    let names: Vec<Symbol> = listed.prices.iter().map(|p| domain(p.symbol)).collect();
    assert_eq!(
        names,
        [Symbol::Sol, Symbol::Btc, Symbol::Ada],
        "in the order given, repeats once"
    );
    for price in &listed.prices {
        assert_eq!(price.price, server.state().feed.price(domain(price.symbol), now));
        assert_eq!(price.timestamp.timestamp_millis(), now, "one shared instant");
    }
    // Without `symbols`: every symbol, in the order of `TradingSymbol`.
    let all = client.list_prices(None).await.expect("200").into_inner();
    let names: Vec<Symbol> = all.prices.iter().map(|p| domain(p.symbol)).collect();
    assert_eq!(names, Symbol::ALL);
    assert!(all.prices.iter().all(|p| p.timestamp == all.prices[0].timestamp));
    for price in &all.prices {
        assert_eq!(price.price, server.state().feed.price(domain(price.symbol), now));
    }
}

#[tokio::test]
async fn missing_and_unsupported_symbols_are_400s() {
    let server = market_at(T0).await;
    let body = bad_request(&server, "/api/market/price?symbol=FOOUSDT").await;
    assert_invalid_symbol(&body, "symbol", "FOOUSDT");
    let body = bad_request(&server, "/api/market/price?symbol=btcusdt").await;
    assert_invalid_symbol(&body, "symbol", "btcusdt");
    let body = bad_request(&server, "/api/market/price").await;
    assert_eq!(body["errors"][0]["field"], "symbol", "{body}");
    let body = bad_request(&server, "/api/market/price/FOOUSDT").await;
    assert_invalid_symbol(&body, "symbol", "FOOUSDT");
    let body = bad_request(&server, "/api/market/price/ethusdt").await;
    assert_invalid_symbol(&body, "symbol", "ethusdt");
}

#[tokio::test]
async fn empty_or_invalid_symbol_lists_are_400s() {
    let server = market_at(T0).await;
    let body = bad_request(&server, "/api/market/prices?symbols=").await;
    assert_eq!(body["errors"][0]["field"], "symbols", "{body}");
    let body = bad_request(&server, "/api/market/prices?symbols=BTCUSDT,FOOUSDT").await;
    assert_invalid_symbol(&body, "symbols", "FOOUSDT");
    // A space is not part of a symbol; neither is an empty item.
    let body = bad_request(&server, "/api/market/prices?symbols=BTCUSDT,%20ETHUSDT").await;
    assert_invalid_symbol(&body, "symbols", " ETHUSDT");
    let body = bad_request(&server, "/api/market/prices?symbols=BTCUSDT,").await;
    assert_invalid_symbol(&body, "symbols", "");
    // Longer than the documented 100 characters, though every item is valid.
    let long = vec!["BTCUSDT"; 13].join(",");
    let body = bad_request(&server, &format!("/api/market/prices?symbols={long}")).await;
    assert_eq!(body["errors"][0]["field"], "symbols", "{body}");
}
