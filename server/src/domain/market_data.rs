//! Market data derived from a [`MarketFeed`]: 24-hour tickers, OHLCV candles and the
//! synthetic order book. Every function is pure in (feed, symbol, now, parameters), so every
//! replica answers the same at the same instant.
//!
//! # Volumes
//! Volume accrues evenly within each minute: a range covering part of a minute counts that
//! minute's [`MarketFeed::minute_volume`] pro-rated to the milliseconds covered, rounded down
//! to the step size, and whole minutes count in full. So the open candle's volume grows with
//! time instead of jumping at each minute, and any candle's volume is exactly the sum of its
//! sub-candles' (the pro-rated piece, if any, is the same minute cut at the same instant).
//! `quoteVolume` sums, for each piece (a whole minute or the part of one in the window), its
//! base volume times the mean of the prices at the piece's two ends (the price is linear
//! within a minute, up to the tick rounding); the sum is exact and then rounded half-up to 8
//! decimal places, which for the current symbols changes nothing (at most tick decimals +
//! step decimals + 1 = 8).

use rust_decimal::Decimal;

use super::market::{DAY_MS, HOUR_MS, MINUTE_MS, MarketFeed};
use super::symbols::{Symbol, floor_to, round_half_up};

/// A candle length (`MarketInterval`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Interval {
    /// One minute.
    M1,
    /// Five minutes.
    M5,
    /// Fifteen minutes.
    M15,
    /// One hour.
    H1,
    /// Four hours.
    H4,
    /// One day (00:00 to 24:00 UTC).
    D1,
}

impl Interval {
    /// Every interval, shortest first.
    pub const ALL: [Interval; 6] = [
        Interval::M1,
        Interval::M5,
        Interval::M15,
        Interval::H1,
        Interval::H4,
        Interval::D1,
    ];

    /// The length in milliseconds (each divides a day, so UTC alignment is epoch alignment).
    pub fn ms(self) -> i64 {
        match self {
            Interval::M1 => MINUTE_MS,
            Interval::M5 => 5 * MINUTE_MS,
            Interval::M15 => 15 * MINUTE_MS,
            Interval::H1 => HOUR_MS,
            Interval::H4 => 4 * HOUR_MS,
            Interval::D1 => DAY_MS,
        }
    }

    /// The wire name, e.g. `1h`.
    pub fn as_str(self) -> &'static str {
        match self {
            Interval::M1 => "1m",
            Interval::M5 => "5m",
            Interval::M15 => "15m",
            Interval::H1 => "1h",
            Interval::H4 => "4h",
            Interval::D1 => "1d",
        }
    }

    /// The open time of the candle containing `at_ms`.
    pub fn open_of(self, at_ms: i64) -> i64 {
        at_ms - at_ms.rem_euclid(self.ms())
    }
}

/// The default number of candles.
pub const DEFAULT_CANDLES: i64 = 100;
/// The most candles one request returns.
pub const MAX_CANDLES: i64 = 1000;
/// The order-book depths a request may ask for (levels per side).
pub const BOOK_DEPTHS: [i64; 5] = [5, 10, 20, 50, 100];
/// The default order-book depth.
pub const DEFAULT_BOOK_DEPTH: i64 = 20;

/// The volume of `[from_ms, to_ms)`: whole minutes in full, partial minutes pro-rated (see
/// the module documentation). Zero for an empty range.
pub fn traded_volume(feed: &dyn MarketFeed, symbol: Symbol, from_ms: i64, to_ms: i64) -> Decimal {
    if from_ms >= to_ms {
        return Decimal::ZERO;
    }
    let first_whole = from_ms + (-from_ms).rem_euclid(MINUTE_MS);
    let end_whole = to_ms - to_ms.rem_euclid(MINUTE_MS);
    if first_whole > end_whole {
        // Inside one minute.
        return pro_rated(feed, symbol, from_ms - from_ms.rem_euclid(MINUTE_MS), to_ms - from_ms);
    }
    let head = pro_rated(feed, symbol, first_whole - MINUTE_MS, first_whole - from_ms);
    let tail = pro_rated(feed, symbol, end_whole, to_ms - end_whole);
    head + feed.volume(symbol, first_whole, end_whole) + tail
}

/// `covered_ms` of the minute starting at `minute_ms`: its volume × covered / 1 minute,
/// rounded down to the step size (the whole volume for a whole minute, zero for none).
fn pro_rated(feed: &dyn MarketFeed, symbol: Symbol, minute_ms: i64, covered_ms: i64) -> Decimal {
    match covered_ms {
        ..=0 => Decimal::ZERO,
        MINUTE_MS.. => feed.minute_volume(symbol, minute_ms),
        _ => {
            let volume = feed.minute_volume(symbol, minute_ms) * Decimal::from(covered_ms) / Decimal::from(MINUTE_MS);
            floor_to(volume, symbol.filters().step_size)
        }
    }
}

/// Base and quote volume of `[from_ms, to_ms)` (see the module documentation).
pub fn window_volumes(feed: &dyn MarketFeed, symbol: Symbol, from_ms: i64, to_ms: i64) -> (Decimal, Decimal) {
    let mut base = Decimal::ZERO;
    let mut quote = Decimal::ZERO;
    let mut minute = from_ms - from_ms.rem_euclid(MINUTE_MS);
    let mut start_price = feed.price(symbol, from_ms);
    while minute < to_ms {
        let start = minute.max(from_ms);
        let end = (minute + MINUTE_MS).min(to_ms);
        let end_price = feed.price(symbol, end);
        let volume = pro_rated(feed, symbol, minute, end - start);
        base += volume;
        quote += volume * (start_price + end_price) / Decimal::TWO;
        start_price = end_price;
        minute += MINUTE_MS;
    }
    (base.normalize(), round_half_up(quote, 8))
}

/// Rolling 24-hour statistics (`MarketTicker`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticker {
    /// The pair.
    pub symbol: Symbol,
    /// The price at `open_time`.
    pub open_price: Decimal,
    /// The highest price in the window.
    pub high_price: Decimal,
    /// The lowest price in the window.
    pub low_price: Decimal,
    /// The price at `close_time`.
    pub last_price: Decimal,
    /// Base volume of the window.
    pub volume: Decimal,
    /// Quote (USDT) volume of the window.
    pub quote_volume: Decimal,
    /// `last_price − open_price`.
    pub price_change: Decimal,
    /// `price_change / open_price × 100`, half-up to 2 places.
    pub price_change_percent: Decimal,
    /// `close_time − 24 h`.
    pub open_time: i64,
    /// Now.
    pub close_time: i64,
}

/// The 24-hour ticker of `symbol` for the window ending at `now_ms`.
pub fn ticker(feed: &dyn MarketFeed, symbol: Symbol, now_ms: i64) -> Ticker {
    let open_time = now_ms - DAY_MS;
    let open_price = feed.price(symbol, open_time);
    let last_price = feed.price(symbol, now_ms);
    let (low_price, high_price) = feed.extremes(symbol, open_time, now_ms);
    let (volume, quote_volume) = window_volumes(feed, symbol, open_time, now_ms);
    let price_change = last_price - open_price;
    let percent = round_half_up(price_change * Decimal::ONE_HUNDRED / open_price, 2);
    Ticker {
        symbol,
        open_price,
        high_price,
        low_price,
        last_price,
        volume,
        quote_volume,
        price_change: price_change.normalize(),
        // `-0.00` (a fall too small to show) is plain zero.
        price_change_percent: if percent.is_zero() { Decimal::ZERO } else { percent },
        open_time,
        close_time: now_ms,
    }
}

/// One OHLCV candle (`MarketCandle`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candle {
    /// Start, aligned to the interval.
    pub open_time: i64,
    /// The price at `open_time`.
    pub open: Decimal,
    /// The highest price over `[open_time, min(close_time, now)]`.
    pub high: Decimal,
    /// The lowest price over the same span.
    pub low: Decimal,
    /// The price at `min(close_time, now)`.
    pub close: Decimal,
    /// Base volume of `[open_time, min(open_time + interval, now))`.
    pub volume: Decimal,
    /// `open_time + interval − 1`.
    pub close_time: i64,
}

/// The candle of `interval` opening at `open_time` (aligned, not after `now_ms`).
pub fn candle(feed: &dyn MarketFeed, symbol: Symbol, interval: Interval, open_time: i64, now_ms: i64) -> Candle {
    let close_time = open_time + interval.ms() - 1;
    let end = close_time.min(now_ms);
    let (low, high) = feed.extremes(symbol, open_time, end);
    Candle {
        open_time,
        open: feed.price(symbol, open_time),
        high,
        low,
        close: feed.price(symbol, end),
        volume: traded_volume(feed, symbol, open_time, (open_time + interval.ms()).min(now_ms)),
        close_time,
    }
}

/// Which candles `GET /api/market/history` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CandleQuery {
    /// The candle length.
    pub interval: Interval,
    /// How many at most, 1–[`MAX_CANDLES`].
    pub limit: i64,
    /// The earliest open time.
    pub start_time: Option<i64>,
    /// The latest open time (default now).
    pub end_time: Option<i64>,
}

/// Why a [`CandleQuery`] is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CandleQueryError {
    /// `limit` is outside 1–1000.
    Limit,
    /// `start_time` is after `end_time`.
    StartAfterEnd,
}

/// The open times `query` selects at `now_ms`, oldest first: without a start, the `limit`
/// most recent candles ending with the one containing `end_time` (default now); with one,
/// the first `limit` candles opening at or after it and not after `end_time`. Candles never
/// open after now, nor before the epoch.
pub fn candle_open_times(query: &CandleQuery, now_ms: i64) -> Result<Vec<i64>, CandleQueryError> {
    if !(1..=MAX_CANDLES).contains(&query.limit) {
        return Err(CandleQueryError::Limit);
    }
    if let (Some(start), Some(end)) = (query.start_time, query.end_time)
        && start > end
    {
        return Err(CandleQueryError::StartAfterEnd);
    }
    let step = query.interval.ms();
    let latest = query.interval.open_of(query.end_time.unwrap_or(now_ms).min(now_ms));
    let first = match query.start_time {
        Some(start) => query.interval.open_of(start.saturating_add(step - 1)).max(0),
        None => (latest - (query.limit - 1) * step).max(0),
    };
    if first > latest {
        return Ok(Vec::new());
    }
    let count = ((latest - first) / step + 1).min(query.limit);
    Ok((0..count).map(|i| first + i * step).collect())
}

/// The candles `query` selects at `now_ms`, oldest first (the last may still be open).
pub fn candles(
    feed: &dyn MarketFeed,
    symbol: Symbol,
    query: &CandleQuery,
    now_ms: i64,
) -> Result<Vec<Candle>, CandleQueryError> {
    Ok(candle_open_times(query, now_ms)?
        .into_iter()
        .map(|open_time| candle(feed, symbol, query.interval, open_time, now_ms))
        .collect())
}

/// One price level of the synthetic book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookLevel {
    /// A multiple of the tick size.
    pub price: Decimal,
    /// A positive multiple of the step size.
    pub quantity: Decimal,
}

/// The synthetic order book (`MarketOrderBook`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderBook {
    /// The feed price the book surrounds.
    pub price: Decimal,
    /// The book's version: the time in milliseconds, so it increases with time.
    pub last_update_id: i64,
    /// Levels below the price, highest first.
    pub bids: Vec<BookLevel>,
    /// Levels above the price, lowest first.
    pub asks: Vec<BookLevel>,
}

/// SplitMix64 finaliser over a sequence of words: the book's deterministic noise.
fn noise(words: &[u64]) -> u64 {
    words.iter().fold(0x6A09_E667_F3BC_C908u64, |h, w| {
        let mut z = (h ^ w).wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    })
}

/// The synthetic book of `symbol` at `now_ms`, `depth` levels per side.
///
/// Levels are spaced in whole ticks around the feed price: the best level 1 to `u` ticks
/// away and each further one 1 to `2u` ticks beyond the previous, where `u` is about half a
/// basis point of the price (at least one tick), so prices are distinct and every bid is
/// below the price and every ask above it. A level's quantity is 1/160 to 1/8 of the current
/// minute's volume, growing with depth, rounded down to the step size (at least one step).
/// The layout is redrawn every second from a hash of (symbol, second, side, level).
pub fn order_book(feed: &dyn MarketFeed, symbol: Symbol, now_ms: i64, depth: usize) -> OrderBook {
    let filters = symbol.filters();
    let price = feed.price(symbol, now_ms);
    let price_ticks = (price / filters.tick_size).trunc();
    let unit = (price * Decimal::new(5, 6) / filters.tick_size)
        .floor()
        .max(Decimal::ONE);
    let minute_volume = feed.minute_volume(symbol, now_ms - now_ms.rem_euclid(MINUTE_MS));
    let second = now_ms.div_euclid(1000) as u64;
    let name = symbol.as_str().bytes().fold(0u64, |h, b| (h << 8) ^ u64::from(b));
    let side = |side: u64| -> Vec<BookLevel> {
        let mut levels = Vec::with_capacity(depth);
        let mut offset = Decimal::ZERO;
        for level in 0..depth {
            let h = noise(&[name, second, side, level as u64]);
            let spread = if level == 0 { unit } else { unit * Decimal::TWO };
            offset += Decimal::ONE + Decimal::from(h % 1_000_000) % spread;
            let ticks = if side == 0 {
                price_ticks - offset
            } else {
                price_ticks + offset
            };
            if ticks <= Decimal::ZERO {
                break;
            }
            let share = Decimal::from((h >> 20) % 1_000 + 50) * Decimal::from(10 + level as u64)
                / Decimal::from(10 * 8 * 1_050);
            let quantity = floor_to(minute_volume * share, filters.step_size).max(filters.step_size);
            levels.push(BookLevel {
                price: (ticks * filters.tick_size).normalize(),
                quantity,
            });
        }
        levels
    };
    OrderBook {
        price,
        last_update_id: now_ms,
        bids: side(0),
        asks: side(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::market::SimulatedFeed;
    use crate::domain::symbols::is_multiple;

    /// 2026-03-03T10:00:00Z.
    const T0: i64 = 1_772_532_000_000;

    fn query(interval: Interval, limit: i64, start_time: Option<i64>, end_time: Option<i64>) -> CandleQuery {
        CandleQuery {
            interval,
            limit,
            start_time,
            end_time,
        }
    }

    #[test]
    fn intervals_align_to_utc() {
        assert_eq!(Interval::D1.open_of(T0), T0 - 10 * HOUR_MS);
        assert_eq!(Interval::H4.open_of(T0 + 1), T0 - 2 * HOUR_MS);
        assert_eq!(Interval::M15.open_of(T0 - 1), T0 - 15 * MINUTE_MS);
        let names: Vec<&str> = Interval::ALL.iter().map(|i| i.as_str()).collect();
        assert_eq!(names, ["1m", "5m", "15m", "1h", "4h", "1d"]);
    }

    #[test]
    fn selection_follows_limit_start_and_end() {
        let now = T0 + 30 * MINUTE_MS + 5;
        let h = HOUR_MS;
        // The most recent, ending with the open one.
        assert_eq!(
            candle_open_times(&query(Interval::H1, 3, None, None), now),
            Ok(vec![T0 - 2 * h, T0 - h, T0])
        );
        // Ending with the one containing end_time; an end in the future is now.
        let q = query(Interval::H1, 2, None, Some(T0 - h + 1));
        assert_eq!(candle_open_times(&q, now), Ok(vec![T0 - 2 * h, T0 - h]));
        let q = query(Interval::H1, 1, None, Some(T0 + 10 * h));
        assert_eq!(candle_open_times(&q, now), Ok(vec![T0]));
        // From start_time (rounded up to an open time), limited by limit, end_time and now.
        let q = query(Interval::H1, 100, Some(T0 - 3 * h + 1), None);
        assert_eq!(candle_open_times(&q, now), Ok(vec![T0 - 2 * h, T0 - h, T0]));
        let q = query(Interval::H1, 2, Some(T0 - 3 * h), None);
        assert_eq!(candle_open_times(&q, now), Ok(vec![T0 - 3 * h, T0 - 2 * h]));
        let q = query(Interval::H1, 100, Some(T0 - 3 * h), Some(T0 - 2 * h));
        assert_eq!(candle_open_times(&q, now), Ok(vec![T0 - 3 * h, T0 - 2 * h]));
        // A start in the future selects nothing; start == end is the one candle opening there.
        assert_eq!(
            candle_open_times(&query(Interval::H1, 5, Some(now + 1), None), now),
            Ok(vec![])
        );
        let far = query(Interval::D1, 5, Some(i64::MAX), None);
        assert_eq!(candle_open_times(&far, now), Ok(vec![]), "no overflow");
        assert_eq!(
            candle_open_times(&query(Interval::H1, 5, Some(T0), Some(T0)), now),
            Ok(vec![T0])
        );
        // Not before the epoch.
        assert_eq!(
            candle_open_times(&query(Interval::D1, 5, None, Some(DAY_MS)), now),
            Ok(vec![0, DAY_MS])
        );
        // Refusals.
        let q = query(Interval::H1, 5, Some(T0), Some(T0 - 1));
        assert_eq!(candle_open_times(&q, now), Err(CandleQueryError::StartAfterEnd));
        assert_eq!(
            candle_open_times(&query(Interval::H1, 0, None, None), now),
            Err(CandleQueryError::Limit)
        );
        assert_eq!(
            candle_open_times(&query(Interval::H1, 1001, None, None), now),
            Err(CandleQueryError::Limit)
        );
    }

    #[test]
    fn a_candle_is_the_aggregate_of_its_sub_candles() {
        let feed = SimulatedFeed::new();
        let symbol = Symbol::Eth;
        // A closed hour and the open one, cut mid-minute.
        let now = T0 + 37 * MINUTE_MS + 12_345;
        for open_time in [T0 - HOUR_MS, T0] {
            let hour = candle(&feed, symbol, Interval::H1, open_time, now);
            let parts: Vec<Candle> = (0..12)
                .map(|i| open_time + i * 5 * MINUTE_MS)
                .filter(|&t| t <= now)
                .map(|t| candle(&feed, symbol, Interval::M5, t, now))
                .collect();
            let minutes: Vec<Candle> = (0..60)
                .map(|i| open_time + i * MINUTE_MS)
                .filter(|&t| t <= now)
                .map(|t| candle(&feed, symbol, Interval::M1, t, now))
                .collect();
            for sub in [&parts, &minutes] {
                assert_eq!(hour.open, sub[0].open);
                assert_eq!(hour.close, sub.last().unwrap().close);
                assert_eq!(hour.high, sub.iter().map(|c| c.high).max().unwrap());
                assert_eq!(hour.low, sub.iter().map(|c| c.low).min().unwrap());
                assert_eq!(hour.volume, sub.iter().map(|c| c.volume).sum::<Decimal>());
            }
            assert_eq!(hour.close_time, open_time + HOUR_MS - 1);
            assert!(hour.volume > Decimal::ZERO);
            assert!(is_multiple(hour.volume, symbol.filters().step_size));
        }
        // The open candle closes at the current price.
        assert_eq!(
            candle(&feed, symbol, Interval::H1, T0, now).close,
            feed.price(symbol, now)
        );
    }

    #[test]
    fn volumes_are_pro_rated_within_a_minute() {
        let feed = SimulatedFeed::new();
        let symbol = Symbol::Btc;
        let whole = feed.minute_volume(symbol, T0);
        assert_eq!(traded_volume(&feed, symbol, T0, T0 + MINUTE_MS), whole);
        assert_eq!(traded_volume(&feed, symbol, T0, T0), Decimal::ZERO);
        let half = traded_volume(&feed, symbol, T0, T0 + 30_000);
        assert_eq!(half, floor_to(whole / Decimal::TWO, symbol.filters().step_size));
        // Inside one minute, and across minutes with both ends partial.
        assert_eq!(traded_volume(&feed, symbol, T0 + 10_000, T0 + 40_000), half);
        let across = traded_volume(&feed, symbol, T0 + 30_000, T0 + 2 * MINUTE_MS + 30_000);
        let expected = half
            + feed.minute_volume(symbol, T0 + MINUTE_MS)
            + floor_to(
                feed.minute_volume(symbol, T0 + 2 * MINUTE_MS) / Decimal::TWO,
                symbol.filters().step_size,
            );
        assert_eq!(across, expected);
        // The open candle's volume grows with time.
        let early = candle(&feed, symbol, Interval::H1, T0, T0 + MINUTE_MS).volume;
        let later = candle(&feed, symbol, Interval::H1, T0, T0 + 2 * MINUTE_MS).volume;
        assert!(Decimal::ZERO < early && early < later);
        assert_eq!(candle(&feed, symbol, Interval::H1, T0, T0).volume, Decimal::ZERO);
    }

    #[test]
    fn the_ticker_is_consistent_with_the_candles() {
        let feed = SimulatedFeed::new();
        for symbol in Symbol::ALL {
            let t = ticker(&feed, symbol, T0);
            assert_eq!(t.open_time, T0 - DAY_MS);
            assert_eq!(t.open_price, feed.price(symbol, T0 - DAY_MS));
            assert_eq!(t.last_price, feed.price(symbol, T0));
            assert_eq!(t.price_change, t.last_price - t.open_price);
            assert!(t.high_price >= t.open_price.max(t.last_price));
            assert!(t.low_price <= t.open_price.min(t.last_price));
            // The 24 hourly candles of the (aligned) window.
            let hours = candles(
                &feed,
                symbol,
                &query(Interval::H1, 24, Some(T0 - DAY_MS), Some(T0 - 1)),
                T0,
            )
            .unwrap();
            assert_eq!(hours.len(), 24);
            assert_eq!(
                t.high_price,
                hours.iter().map(|c| c.high).max().unwrap().max(t.last_price)
            );
            assert_eq!(
                t.low_price,
                hours.iter().map(|c| c.low).min().unwrap().min(t.last_price)
            );
            assert_eq!(t.volume, hours.iter().map(|c| c.volume).sum::<Decimal>());
            assert_eq!(t.volume, traded_volume(&feed, symbol, T0 - DAY_MS, T0));
            assert!(t.quote_volume > t.volume * t.low_price * Decimal::new(99, 2));
            assert!(t.quote_volume < t.volume * t.high_price * Decimal::new(101, 2));
            assert!(t.quote_volume.scale() <= 8);
        }
        // Unaligned: the two partial minutes at the window's ends are pro-rated.
        let now = T0 + 12_345;
        let t = ticker(&feed, Symbol::Sol, now);
        assert_eq!(t.volume, traded_volume(&feed, Symbol::Sol, now - DAY_MS, now));
    }

    #[test]
    fn price_change_percent_is_rounded_half_up() {
        // Exercised through the arithmetic the ticker uses.
        let open: Decimal = "67210.05".parse().unwrap();
        let last: Decimal = "68965.52".parse().unwrap();
        let percent = round_half_up((last - open) * Decimal::ONE_HUNDRED / open, 2);
        assert_eq!(percent, "2.61".parse::<Decimal>().unwrap());
        let feed = SimulatedFeed::new();
        let t = ticker(&feed, Symbol::Btc, T0);
        assert_eq!(
            t.price_change_percent,
            round_half_up(t.price_change * Decimal::ONE_HUNDRED / t.open_price, 2)
        );
    }

    #[test]
    fn the_book_surrounds_the_price_with_distinct_levels() {
        let feed = SimulatedFeed::new();
        for symbol in Symbol::ALL {
            let filters = symbol.filters();
            for depth in BOOK_DEPTHS {
                let book = order_book(&feed, symbol, T0 + 777, depth as usize);
                assert_eq!(book.price, feed.price(symbol, T0 + 777));
                assert_eq!((book.bids.len(), book.asks.len()), (depth as usize, depth as usize));
                assert!(book.bids[0].price < book.price && book.price < book.asks[0].price);
                assert!(book.bids.windows(2).all(|w| w[0].price > w[1].price), "bids descend");
                assert!(book.asks.windows(2).all(|w| w[0].price < w[1].price), "asks ascend");
                for level in book.bids.iter().chain(&book.asks) {
                    assert!(is_multiple(level.price, filters.tick_size), "{symbol} {}", level.price);
                    assert!(level.quantity > Decimal::ZERO);
                    assert!(is_multiple(level.quantity, filters.step_size));
                }
            }
            // Deterministic, a prefix of the deeper book, and versioned by time.
            let a = order_book(&feed, symbol, T0, 20);
            assert_eq!(a, order_book(&SimulatedFeed::new(), symbol, T0, 20));
            assert_eq!(a.bids[..5], order_book(&feed, symbol, T0, 5).bids[..]);
            assert!(order_book(&feed, symbol, T0 + 1, 5).last_update_id > a.last_update_id);
        }
        // The layout changes from second to second.
        let a = order_book(&feed, Symbol::Btc, T0, 20);
        let b = order_book(&feed, Symbol::Btc, T0 + 1_000, 20);
        assert_ne!(a.bids, b.bids);
    }

    #[test]
    fn a_thousand_daily_candles_end_with_the_open_day() {
        let feed = SimulatedFeed::new();
        let all = candles(&feed, Symbol::Btc, &query(Interval::D1, 1000, None, None), T0).unwrap();
        assert_eq!(all.len(), 1000);
        assert!(all.windows(2).all(|w| w[1].open_time == w[0].open_time + DAY_MS));
        let today = all.last().unwrap();
        assert_eq!(today.open_time, T0 - 10 * HOUR_MS);
        assert_eq!(today.close, feed.price(Symbol::Btc, T0));
        // A closed day: its volume is the sum of its minutes'.
        let day = &all[998];
        let minutes: Decimal = (0..1440)
            .map(|m| feed.minute_volume(Symbol::Btc, day.open_time + m * MINUTE_MS))
            .sum();
        assert_eq!(day.volume, minutes);
        assert_eq!(day.close, feed.price(Symbol::Btc, day.close_time));
    }
}
