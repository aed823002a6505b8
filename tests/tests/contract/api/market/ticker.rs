//! `GET /api/market/ticker` (get_ticker) and `GET /api/market/tickers` (list_tickers): rolling
//! 24-hour statistics, consistent with the feed and with the 1-minute candles.

use std::num::NonZeroU64;

use meridian::types::{MarketCandle, MarketInterval, MarketTicker};
use meridian_contract_tests::TestServer;
use meridian_server::domain::symbols::Symbol;
use rust_decimal::{Decimal, RoundingStrategy};

use super::{DAY, MINUTE, T0, assert_invalid_symbol, bad_request, domain, market_at, sdk};

/// The 1-minute candles opening in `[from, to]` (at most 2000), through the SDK.
async fn minute_candles(server: &TestServer, symbol: Symbol, from: i64, to: i64) -> Vec<MarketCandle> {
    let client = server.client();
    let mut candles = Vec::new();
    let mut start = from;
    while start <= to {
        let page = client
            .get_candles(
                Some(to),
                Some(MarketInterval::X1m),
                NonZeroU64::new(1000),
                Some(start),
                sdk(symbol),
            )
            .await
            .expect("200")
            .into_inner();
        let Some(last) = page.candles.last() else { break };
        start = last.open_time + MINUTE;
        candles.extend(page.candles);
    }
    candles
}

/// The checks every ticker at `now` passes, against the feed alone.
fn assert_ticker_arithmetic(server: &TestServer, ticker: &MarketTicker, now: i64) {
    let symbol = domain(ticker.symbol);
    let feed = &server.state().feed;
    assert_eq!(ticker.close_time, now);
    assert_eq!(ticker.open_time, now - DAY);
    assert_eq!(
        ticker.last_price,
        feed.price(symbol, now),
        "lastPrice is the current price"
    );
    assert_eq!(
        ticker.open_price,
        feed.price(symbol, now - DAY),
        "openPrice is the price 24 h ago"
    );
    assert!(
        ticker.high_price >= ticker.open_price.max(ticker.last_price),
        "{ticker:?}"
    );
    assert!(
        ticker.low_price <= ticker.open_price.min(ticker.last_price),
        "{ticker:?}"
    );
    assert!(ticker.low_price > Decimal::ZERO);
    assert_eq!(ticker.price_change, ticker.last_price - ticker.open_price);
    let percent = (ticker.price_change * Decimal::ONE_HUNDRED / ticker.open_price)
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    assert_eq!(ticker.price_change_percent, percent);
    assert!(ticker.volume > Decimal::ZERO);
    assert!(ticker.quote_volume >= ticker.volume * ticker.low_price, "{ticker:?}");
    assert!(ticker.quote_volume <= ticker.volume * ticker.high_price, "{ticker:?}");
}

#[tokio::test]
async fn the_ticker_summarises_the_last_24_hours_of_minute_candles() {
    let server = market_at(T0).await;
    let client = server.client();
    for symbol in [Symbol::Btc, Symbol::Doge] {
        let ticker = client.get_ticker(sdk(symbol)).await.expect("200").into_inner();
        assert_eq!(domain(ticker.symbol), symbol);
        assert_ticker_arithmetic(&server, &ticker, T0);
        // The window [T0 − 24 h, T0] is covered exactly by the 1440 closed minute candles
        // and the instant T0 (the open candle's first price).
        let candles = minute_candles(&server, symbol, T0 - DAY, T0 - MINUTE).await;
        assert_eq!(candles.len(), 1440);
        let now = server.state().feed.price(symbol, T0);
        let high = candles.iter().map(|c| c.high).max().unwrap().max(now);
        let low = candles.iter().map(|c| c.low).min().unwrap().min(now);
        assert_eq!((ticker.high_price, ticker.low_price), (high, low), "{symbol}");
        let volume: Decimal = candles.iter().map(|c| c.volume).sum();
        assert_eq!(ticker.volume, volume, "{symbol}: the minutes' volumes add up");
    }
}

#[tokio::test]
async fn a_ticker_mid_minute_keeps_its_arithmetic() {
    let now = T0 + 17 * MINUTE + 29_999;
    let server = market_at(now).await;
    let ticker = server
        .client()
        .get_ticker(sdk(Symbol::Eth))
        .await
        .expect("200")
        .into_inner();
    assert_ticker_arithmetic(&server, &ticker, now);
    let (low, high) = server.state().feed.extremes(Symbol::Eth, now - DAY, now);
    assert_eq!((ticker.low_price, ticker.high_price), (low, high));
}

#[tokio::test]
async fn every_ticker_is_listed_in_symbol_order_for_one_close_time() {
    let now = T0 + 4_321;
    let server = market_at(now).await;
    let client = server.client();
    let listed = client.list_tickers().await.expect("200").into_inner();
    let names: Vec<Symbol> = listed.tickers.iter().map(|t| domain(t.symbol)).collect();
    assert_eq!(names, Symbol::ALL);
    for ticker in &listed.tickers {
        assert_ticker_arithmetic(&server, ticker, now);
        let single = client.get_ticker(ticker.symbol).await.expect("200").into_inner();
        assert_eq!(
            serde_json::to_value(&single).unwrap(),
            serde_json::to_value(ticker).unwrap(),
            "the list holds the single tickers"
        );
    }
}

#[tokio::test]
async fn a_ticker_needs_a_supported_symbol() {
    let server = market_at(T0).await;
    let body = bad_request(&server, "/api/market/ticker").await;
    assert_eq!(body["errors"][0]["field"], "symbol", "{body}");
    let body = bad_request(&server, "/api/market/ticker?symbol=FOOUSDT").await;
    assert_invalid_symbol(&body, "symbol", "FOOUSDT");
}
