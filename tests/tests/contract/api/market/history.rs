//! `GET /api/market/history` (get_candles): aligned OHLCV candles of the feed, oldest first,
//! the newest possibly open; the startTime/endTime/limit selection; aggregation across
//! intervals.

use std::num::NonZeroU64;

use meridian::types::{MarketCandle, MarketCandlesResponse, MarketInterval};
use meridian_contract_tests::TestServer;
use meridian_server::domain::symbols::Symbol;
use rust_decimal::Decimal;

use super::{DAY, HOUR, MINUTE, T0, assert_invalid_symbol, bad_request, domain, market_at, sdk};

/// `get_candles` through the SDK.
async fn candles(
    server: &TestServer,
    symbol: Symbol,
    interval: Option<MarketInterval>,
    limit: Option<u64>,
    start: Option<i64>,
    end: Option<i64>,
) -> MarketCandlesResponse {
    server
        .client()
        .get_candles(end, interval, limit.and_then(NonZeroU64::new), start, sdk(symbol))
        .await
        .expect("200")
        .into_inner()
}

fn open_times(response: &MarketCandlesResponse) -> Vec<i64> {
    response.candles.iter().map(|c| c.open_time).collect()
}

/// The interval's length.
fn ms(interval: MarketInterval) -> i64 {
    match interval {
        MarketInterval::X1m => MINUTE,
        MarketInterval::X5m => 5 * MINUTE,
        MarketInterval::X15m => 15 * MINUTE,
        MarketInterval::X1h => HOUR,
        MarketInterval::X4h => 4 * HOUR,
        MarketInterval::X1d => DAY,
    }
}

/// `whole` is the aggregate of `parts`: first open, last close, extreme highs and lows,
/// summed volume.
fn assert_aggregate(whole: &MarketCandle, parts: &[MarketCandle]) {
    assert_eq!(whole.open, parts[0].open, "open");
    assert_eq!(whole.close, parts.last().unwrap().close, "close");
    assert_eq!(whole.high, parts.iter().map(|c| c.high).max().unwrap(), "high");
    assert_eq!(whole.low, parts.iter().map(|c| c.low).min().unwrap(), "low");
    assert_eq!(whole.volume, parts.iter().map(|c| c.volume).sum::<Decimal>(), "volume");
}

#[tokio::test]
async fn candles_are_aligned_oldest_first_and_the_last_is_open() {
    let now = T0 + 37 * MINUTE + 12_345;
    let server = market_at(now).await;
    let feed = &server.state().feed;
    // Default interval (1h) and limit (100).
    let response = candles(&server, Symbol::Btc, None, None, None, None).await;
    assert_eq!(domain(response.symbol), Symbol::Btc);
    assert_eq!(response.interval, MarketInterval::X1h);
    assert_eq!(response.candles.len(), 100);
    let times = open_times(&response);
    assert_eq!(*times.last().unwrap(), T0, "the last candle contains now");
    assert!(
        times.windows(2).all(|w| w[1] - w[0] == HOUR),
        "oldest first, contiguous"
    );
    for candle in &response.candles {
        assert_eq!(candle.open_time % HOUR, 0, "aligned on the hour");
        assert_eq!(candle.close_time, candle.open_time + HOUR - 1);
        assert_eq!(candle.open, feed.price(Symbol::Btc, candle.open_time));
        let end = candle.close_time.min(now);
        assert_eq!(candle.close, feed.price(Symbol::Btc, end));
        assert_eq!(
            (candle.low, candle.high),
            feed.extremes(Symbol::Btc, candle.open_time, end)
        );
        assert!(candle.low <= candle.open.min(candle.close) && candle.high >= candle.open.max(candle.close));
        assert!(candle.volume > Decimal::ZERO);
    }
    let open = response.candles.last().unwrap();
    assert_eq!(
        open.close,
        feed.price(Symbol::Btc, now),
        "the open candle closes at the current price"
    );
    assert!(open.close_time > now, "its closeTime lies in the future");
    // A closed candle's volume is the sum of its minutes'.
    let closed = &response.candles[98];
    let minutes: Decimal = (0..60)
        .map(|m| feed.minute_volume(Symbol::Btc, closed.open_time + m * MINUTE))
        .sum();
    assert_eq!(closed.volume, minutes);
}

#[tokio::test]
async fn every_interval_aligns_in_utc() {
    let now = T0 + 5 * HOUR + 7 * MINUTE + 1;
    let server = market_at(now).await;
    for interval in [
        MarketInterval::X1m,
        MarketInterval::X5m,
        MarketInterval::X15m,
        MarketInterval::X1h,
        MarketInterval::X4h,
        MarketInterval::X1d,
    ] {
        let response = candles(&server, Symbol::Eth, Some(interval), Some(3), None, None).await;
        assert_eq!(response.interval, interval);
        let times = open_times(&response);
        let last = now - now % ms(interval);
        assert_eq!(
            times,
            [last - 2 * ms(interval), last - ms(interval), last],
            "{interval}"
        );
        for candle in &response.candles {
            assert_eq!(candle.close_time, candle.open_time + ms(interval) - 1);
        }
    }
    // A day opens at 00:00 UTC: 2026-03-03T00:00:00Z.
    let day = candles(&server, Symbol::Eth, Some(MarketInterval::X1d), Some(1), None, None).await;
    assert_eq!(day.candles[0].open_time, 1_772_496_000_000);
}

#[tokio::test]
async fn an_hour_is_the_aggregate_of_its_twelve_5m_candles() {
    let now = T0 + 23 * MINUTE + 45_678;
    let server = market_at(now).await;
    for symbol in [Symbol::Sol, Symbol::Xrp] {
        // A closed hour.
        let hour = candles(
            &server,
            symbol,
            Some(MarketInterval::X1h),
            Some(1),
            Some(T0 - HOUR),
            Some(T0 - HOUR),
        )
        .await;
        let parts = candles(
            &server,
            symbol,
            Some(MarketInterval::X5m),
            Some(100),
            Some(T0 - HOUR),
            Some(T0 - 1),
        )
        .await;
        assert_eq!(parts.candles.len(), 12);
        assert_aggregate(&hour.candles[0], &parts.candles);
        // The open hour, with its open 5m candle and the minute in progress pro-rated alike.
        let hour = candles(&server, symbol, Some(MarketInterval::X1h), Some(1), None, None).await;
        let parts = candles(&server, symbol, Some(MarketInterval::X5m), Some(100), Some(T0), None).await;
        assert_eq!(parts.candles.len(), 5);
        assert_aggregate(&hour.candles[0], &parts.candles);
        let minutes = candles(&server, symbol, Some(MarketInterval::X1m), Some(100), Some(T0), None).await;
        assert_eq!(minutes.candles.len(), 24);
        assert_aggregate(&hour.candles[0], &minutes.candles);
        // A day of 4h candles.
        let day = candles(
            &server,
            symbol,
            Some(MarketInterval::X1d),
            Some(1),
            Some(T0 - 34 * HOUR),
            None,
        )
        .await;
        let day_start = day.candles[0].open_time;
        let quarters = candles(
            &server,
            symbol,
            Some(MarketInterval::X4h),
            Some(6),
            Some(day_start),
            None,
        )
        .await;
        assert_aggregate(&day.candles[0], &quarters.candles);
    }
}

#[tokio::test]
async fn start_end_and_limit_select_the_candles() {
    let now = T0 + 30 * MINUTE;
    let server = market_at(now).await;
    let h = Some(MarketInterval::X1h);
    let btc = Symbol::Btc;
    // Without startTime: the `limit` most recent, ending with the one containing endTime.
    let r = candles(&server, btc, h, Some(2), None, Some(T0 - HOUR + 1)).await;
    assert_eq!(open_times(&r), [T0 - 2 * HOUR, T0 - HOUR]);
    // An endTime in the future is now: candles never start after now.
    let r = candles(&server, btc, h, Some(2), None, Some(T0 + 10 * DAY)).await;
    assert_eq!(open_times(&r), [T0 - HOUR, T0]);
    // With startTime: the first `limit` candles opening at or after it.
    let r = candles(&server, btc, h, Some(3), Some(T0 - 10 * HOUR), None).await;
    assert_eq!(open_times(&r), [T0 - 10 * HOUR, T0 - 9 * HOUR, T0 - 8 * HOUR]);
    let r = candles(&server, btc, h, Some(3), Some(T0 - 10 * HOUR + 1), None).await;
    assert_eq!(
        open_times(&r)[0],
        T0 - 9 * HOUR,
        "the first opening at or after startTime"
    );
    // … and not after endTime, nor now.
    let r = candles(&server, btc, h, Some(100), Some(T0 - 3 * HOUR), Some(T0 - HOUR)).await;
    assert_eq!(open_times(&r), [T0 - 3 * HOUR, T0 - 2 * HOUR, T0 - HOUR]);
    let r = candles(&server, btc, h, None, Some(T0 - 3 * HOUR), None).await;
    assert_eq!(open_times(&r), [T0 - 3 * HOUR, T0 - 2 * HOUR, T0 - HOUR, T0]);
    // startTime == endTime on an open time: that one candle; a startTime after now: none.
    let r = candles(&server, btc, h, None, Some(T0 - HOUR), Some(T0 - HOUR)).await;
    assert_eq!(open_times(&r), [T0 - HOUR]);
    let r = candles(&server, btc, h, None, Some(now + 1), None).await;
    assert!(r.candles.is_empty());
    let r = candles(&server, btc, Some(MarketInterval::X1d), None, Some(i64::MAX), None).await;
    assert!(r.candles.is_empty());
    // The most allowed: 1000 daily candles.
    let r = candles(&server, btc, Some(MarketInterval::X1d), Some(1000), None, None).await;
    assert_eq!(r.candles.len(), 1000);
    assert!(r.candles.windows(2).all(|w| w[1].open_time - w[0].open_time == DAY));
}

#[tokio::test]
async fn bad_candle_requests_are_400s() {
    let server = market_at(T0).await;
    let body = bad_request(&server, "/api/market/history?interval=1h").await;
    assert_eq!(body["errors"][0]["field"], "symbol", "{body}");
    let body = bad_request(&server, "/api/market/history?symbol=FOOUSDT").await;
    assert_invalid_symbol(&body, "symbol", "FOOUSDT");
    for (query, field) in [
        ("interval=2h", "interval"),
        ("interval=1H", "interval"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=ten", "limit"),
        ("startTime=-1", "startTime"),
        ("endTime=soon", "endTime"),
        ("startTime=1772532000001&endTime=1772532000000", "startTime"),
    ] {
        let body = bad_request(&server, &format!("/api/market/history?symbol=BTCUSDT&{query}")).await;
        assert_eq!(body["errors"][0]["field"], field, "{query}: {body}");
    }
}
