//! The market feed: the [`MarketFeed`] trait the trading engine and the market endpoints
//! read prices through, and [`SimulatedFeed`], a deterministic function of (symbol, time)
//! so that every replica quotes the same price at the same instant with no coordination.
//!
//! # The simulated path
//! A symbol's price is `base × (1 + x(t))`, rounded half-up to the tick size, where `x` is a
//! sum of nine random piecewise-linear components with knots every 1, 4, 16, … 65 536
//! minutes and amplitudes growing with the square root of the knot spacing (Brownian
//! scaling), so the path looks like a random walk at every scale from minutes to months
//! while staying near a realistic level for ever. Knot values come from a hash of
//! (symbol, level, knot index): no state, no history to store. `x` is evaluated exactly at
//! whole minutes and interpolated linearly in between, so between two minutes the price is
//! monotonic and the extremes over any interval lie at its ends or at the whole minutes
//! inside it ([`SimulatedFeed::extremes`] is exact). All arithmetic is integer (parts per
//! billion) or exact decimal, so every platform computes the same prices.

use std::collections::HashMap;
use std::sync::Mutex;

use rust_decimal::Decimal;

use super::symbols::{Symbol, floor_to};

/// One minute in milliseconds: the knot spacing of the finest component.
pub const MINUTE_MS: i64 = 60_000;
/// One hour in milliseconds.
pub const HOUR_MS: i64 = 3_600_000;
/// One day in milliseconds.
pub const DAY_MS: i64 = 86_400_000;

/// Where prices come from. The simulated feed implements it; a live exchange feed could
/// replace it without touching the trading engine or the market endpoints.
pub trait MarketFeed: Send + Sync + 'static {
    /// The price of `symbol` at `at_ms` (milliseconds since the Unix epoch): positive, a
    /// multiple of the symbol's tick size.
    fn price(&self, symbol: Symbol, at_ms: i64) -> Decimal;

    /// The lowest and highest prices of `symbol` over `[from_ms, to_ms]` (inclusive), as
    /// `(low, high)`. `from_ms > to_ms` is treated as the single instant `to_ms`.
    fn extremes(&self, symbol: Symbol, from_ms: i64, to_ms: i64) -> (Decimal, Decimal);

    /// Simulated base-asset volume traded in the minute starting at `minute_ms` (a multiple
    /// of [`MINUTE_MS`]), a multiple of the symbol's step size.
    fn minute_volume(&self, symbol: Symbol, minute_ms: i64) -> Decimal;

    /// Base-asset volume over the whole minutes in `[from_ms, to_ms)` (both multiples of
    /// [`MINUTE_MS`]): exactly the sum of [`minute_volume`](Self::minute_volume) over them,
    /// zero when `from_ms >= to_ms`. Feeds override it to answer long ranges (daily candles)
    /// without one call per minute.
    fn volume(&self, symbol: Symbol, from_ms: i64, to_ms: i64) -> Decimal {
        let mut total = Decimal::ZERO;
        let mut minute = from_ms;
        while minute < to_ms {
            total += self.minute_volume(symbol, minute);
            minute += MINUTE_MS;
        }
        total
    }

    /// Whether the feed can quote now (the health probe's `market_data`).
    fn is_up(&self) -> bool {
        true
    }
}

/// Per-symbol parameters of the simulated path.
#[derive(Debug, Clone, Copy)]
struct Profile {
    /// The level the path wanders around, in USDT.
    base: &'static str,
    /// Daily volatility in parts per billion (0.025 = 25 000 000).
    daily_vol_ppb: i64,
    /// Typical base volume per minute, in step sizes.
    minute_volume_steps: i64,
}

fn profile(symbol: Symbol) -> Profile {
    let (base, vol, minute_volume_steps) = match symbol {
        Symbol::Btc => ("68000", 25_000_000, 1_200_000),
        Symbol::Eth => ("3500", 30_000_000, 1_700_000),
        Symbol::Bnb => ("600", 28_000_000, 600_000),
        Symbol::Ada => ("0.72", 40_000_000, 4_000_000),
        Symbol::Doge => ("0.165", 50_000_000, 3_000_000),
        Symbol::Xrp => ("0.62", 40_000_000, 6_000_000),
        Symbol::Dot => ("8.4", 40_000_000, 6_000_000),
        Symbol::Sol => ("142", 45_000_000, 7_000_000),
    };
    Profile {
        base,
        daily_vol_ppb: vol,
        minute_volume_steps,
    }
}

/// Number of components: knots every 4^k minutes for k in 0..LEVELS (up to ~45 days).
const LEVELS: u32 = 9;
/// Parts per billion.
const PPB: i64 = 1_000_000_000;

/// SplitMix64: a fast, well-mixed, platform-independent hash of one word.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A stable seed per symbol (FNV-1a of its name).
fn seed(symbol: Symbol) -> u64 {
    symbol.as_str().bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The deterministic simulated market (see the module documentation).
pub struct SimulatedFeed {
    /// Component amplitudes per symbol and level, in parts per billion.
    amplitudes: HashMap<Symbol, [i64; LEVELS as usize]>,
    /// `(min x, max x)` over the 61 whole minutes of each hour and the hour's volume, per
    /// symbol: history never changes, so long ranges (daily candles, old resting orders) are
    /// computed once.
    hours: Mutex<HashMap<(Symbol, i64), HourSummary>>,
}

/// What the feed caches per (symbol, hour).
#[derive(Debug, Clone, Copy)]
struct HourSummary {
    /// The lowest `x` at the 61 whole minutes from the hour's start to the next hour's.
    lo: i64,
    /// The highest.
    hi: i64,
    /// The hour's volume in step sizes: the sum of its 60 minute volumes.
    volume_steps: i64,
}

impl Default for SimulatedFeed {
    fn default() -> Self {
        Self::new()
    }
}

impl SimulatedFeed {
    /// The feed with the built-in symbol profiles.
    pub fn new() -> Self {
        // Amplitude at level k: 0.9 σ_daily √(spacing / 1 day) = 0.9 σ 2^k / √1440. The sum
        // over all levels is about 12 σ, below 0.9 for every profile: prices stay positive.
        // (IEEE square roots are exact-rounded, so this is the same on every platform.)
        let sqrt_1440 = 1440f64.sqrt();
        let amplitudes = Symbol::ALL
            .into_iter()
            .map(|symbol| {
                let vol = profile(symbol).daily_vol_ppb as f64;
                let mut levels = [0i64; LEVELS as usize];
                for (k, a) in levels.iter_mut().enumerate() {
                    *a = (0.9 * vol * f64::from(1u32 << k) / sqrt_1440) as i64;
                }
                (symbol, levels)
            })
            .collect();
        Self {
            amplitudes,
            hours: Mutex::new(HashMap::new()),
        }
    }

    /// The knot value of `level` at knot `index`, uniform in [-1, 1] (parts per billion).
    fn knot(symbol: Symbol, level: u32, index: i64) -> i64 {
        Self::seeded_knot(seed(symbol), level, index)
    }

    /// [`knot`](Self::knot) for the symbol of `seed` (hashing the name once per batch).
    fn seeded_knot(seed: u64, level: u32, index: i64) -> i64 {
        let h = mix(seed ^ (u64::from(level) << 56) ^ (index as u64));
        (h % (2 * PPB as u64 + 1)) as i64 - PPB
    }

    /// `x` at whole minute `minute` (minutes since the epoch), in parts per billion.
    pub fn knot_x(&self, symbol: Symbol, minute: i64) -> i64 {
        let amplitudes = &self.amplitudes[&symbol];
        let mut x: i128 = 0;
        for level in 0..LEVELS {
            let spacing = 1i64 << (2 * level);
            let index = minute.div_euclid(spacing);
            let offset = minute.rem_euclid(spacing);
            let a = Self::knot(symbol, level, index);
            let b = Self::knot(symbol, level, index + 1);
            // lerp(a, b, offset / spacing), then scaled by the amplitude.
            let value = i128::from(a) * i128::from(spacing - offset) + i128::from(b) * i128::from(offset);
            x += i128::from(amplitudes[level as usize]) * value / (i128::from(spacing) * i128::from(PPB));
        }
        x as i64
    }

    /// `x` at the `count` whole minutes from `first`: the values of [`knot_x`](Self::knot_x),
    /// computed with each knot hashed once instead of once per minute (for hour summaries).
    pub fn knot_xs(&self, symbol: Symbol, first: i64, count: usize) -> Vec<i64> {
        let amplitudes = &self.amplitudes[&symbol];
        let seed = seed(symbol);
        let Some(last) = first.checked_add(count as i64 - 1).filter(|_| count > 0) else {
            return Vec::new();
        };
        let mut xs = vec![0i64; count];
        // Plain index loops over slices: this runs for every hour of a long candle range, and
        // iterator adapters are slow in debug builds.
        let out: &mut [i64] = &mut xs;
        for level in 0..LEVELS {
            let spacing = 1i64 << (2 * level);
            let first_index = first.div_euclid(spacing);
            let knots: Vec<i64> = (first_index..=last.div_euclid(spacing) + 1)
                .map(|index| Self::seeded_knot(seed, level, index))
                .collect();
            let knots: &[i64] = &knots;
            let amplitude = amplitudes[level as usize];
            let divisor = spacing * PPB;
            // `knot_x` adds trunc(amplitude × value / divisor) per level, value = a × (spacing
            // − offset) + b × offset. At the finer levels that product fits in an i64; at the
            // coarser ones the quotient is carried from minute to minute as (q, r) with
            // product = q × divisor + r, 0 ≤ r < divisor, stepping by amplitude × (b − a).
            let fits = i128::from(amplitude) * i128::from(divisor) <= i128::from(i64::MAX);
            let mut i = 0usize;
            let mut k = 0usize;
            let mut offset = first.rem_euclid(spacing);
            while i < count {
                let (a, b) = (knots[k], knots[k + 1]);
                // The minutes of this knot interval within the batch.
                let run = ((spacing - offset) as usize).min(count - i);
                if fits {
                    for _ in 0..run {
                        out[i] += amplitude * (a * (spacing - offset) + b * offset) / divisor;
                        i += 1;
                        offset += 1;
                    }
                } else {
                    let value = i128::from(a) * i128::from(spacing - offset) + i128::from(b) * i128::from(offset);
                    let product = i128::from(amplitude) * value;
                    let mut q = product.div_euclid(i128::from(divisor)) as i64;
                    let mut r = product.rem_euclid(i128::from(divisor)) as i64;
                    let step = amplitude * (b - a);
                    let (step_q, step_r) = (step.div_euclid(divisor), step.rem_euclid(divisor));
                    for _ in 0..run {
                        // Truncation toward zero from the floored (q, r).
                        out[i] += if q < 0 && r != 0 { q + 1 } else { q };
                        q += step_q;
                        r += step_r;
                        if r >= divisor {
                            r -= divisor;
                            q += 1;
                        }
                        i += 1;
                    }
                    offset += run as i64;
                }
                if offset == spacing {
                    (k, offset) = (k + 1, 0);
                }
            }
        }
        xs
    }

    /// The volume of minute `minute` (minutes since the epoch) in step sizes, given `x` at
    /// its start (`x0`) and end (`x1`): 0.3× to 1.7× the typical volume, more when the price
    /// moved more in that minute. `seed` and `typical` are the symbol's.
    fn volume_steps(seed: u64, typical: i64, minute: i64, x0: i64, x1: i64) -> i64 {
        let u = (mix(seed ^ 0x5EED ^ (minute as u64).rotate_left(17)) % 1_400) as i64 + 300;
        let moved = (x1 - x0).abs();
        typical * u / 1_000 + typical * moved.min(PPB) / 2_000_000
    }

    /// The volume in step sizes of the minutes from `first` whose boundaries have the `x`
    /// values `xs` (one more than the minutes).
    fn minutes_volume_steps(symbol: Symbol, first: i64, xs: &[i64]) -> i64 {
        let (seed, typical) = (seed(symbol), profile(symbol).minute_volume_steps);
        xs.windows(2)
            .enumerate()
            .map(|(i, w)| Self::volume_steps(seed, typical, first + i as i64, w[0], w[1]))
            .sum()
    }

    /// The summary of hour `hour` (hours since the epoch), cached.
    fn hour_summary(&self, symbol: Symbol, hour: i64) -> HourSummary {
        if let Some(summary) = self.hours.lock().expect("feed cache").get(&(symbol, hour)) {
            return *summary;
        }
        let first = hour * 60;
        let xs = self.knot_xs(symbol, first, 61);
        let summary = HourSummary {
            lo: xs.iter().copied().min().unwrap_or_default(),
            hi: xs.iter().copied().max().unwrap_or_default(),
            volume_steps: Self::minutes_volume_steps(symbol, first, &xs),
        };
        let mut cache = self.hours.lock().expect("feed cache");
        if cache.len() > 200_000 {
            cache.clear();
        }
        cache.insert((symbol, hour), summary);
        summary
    }

    /// `x` at any instant: the whole-minute values interpolated linearly (monotonic between
    /// minutes).
    pub fn x_at(&self, symbol: Symbol, at_ms: i64) -> i64 {
        let minute = at_ms.div_euclid(MINUTE_MS);
        let into = at_ms.rem_euclid(MINUTE_MS);
        let a = self.knot_x(symbol, minute);
        if into == 0 {
            return a;
        }
        let b = self.knot_x(symbol, minute + 1);
        a + ((i128::from(b - a) * i128::from(into)).div_euclid(i128::from(MINUTE_MS))) as i64
    }

    /// The price for a value of `x`: `base × (1 + x)` rounded half-up to the tick size
    /// (monotonic in `x`), at least one tick.
    pub fn price_of_x(&self, symbol: Symbol, x: i64) -> Decimal {
        let base: Decimal = profile(symbol).base.parse().expect("a literal decimal");
        let tick = symbol.filters().tick_size;
        let raw = base * Decimal::new(PPB + x, 9);
        let ticks = (raw / tick).round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        (ticks.max(Decimal::ONE) * tick).normalize()
    }

    /// `(min x, max x)` over the whole minutes `first..=last`.
    fn minute_range(&self, symbol: Symbol, first: i64, last: i64) -> (i64, i64) {
        let mut lo = i64::MAX;
        let mut hi = i64::MIN;
        let mut minute = first;
        while minute <= last {
            // Whole hours inside the range come from the cache.
            if minute.rem_euclid(60) == 0 && minute + 60 <= last {
                let (l, h) = self.hour_range(symbol, minute.div_euclid(60));
                lo = lo.min(l);
                hi = hi.max(h);
                minute += 60;
                continue;
            }
            // The minutes up to the next whole hour (or the end), in one batch.
            let stop = (minute.div_euclid(60) + 1).saturating_mul(60).min(last + 1);
            for x in self.knot_xs(symbol, minute, (stop - minute) as usize) {
                lo = lo.min(x);
                hi = hi.max(x);
            }
            minute = stop;
        }
        (lo, hi)
    }

    /// `(min x, max x)` over the 61 whole minutes from the start of hour `hour` to the start
    /// of the next, cached.
    fn hour_range(&self, symbol: Symbol, hour: i64) -> (i64, i64) {
        let summary = self.hour_summary(symbol, hour);
        (summary.lo, summary.hi)
    }
}

impl MarketFeed for SimulatedFeed {
    fn price(&self, symbol: Symbol, at_ms: i64) -> Decimal {
        self.price_of_x(symbol, self.x_at(symbol, at_ms))
    }

    fn extremes(&self, symbol: Symbol, from_ms: i64, to_ms: i64) -> (Decimal, Decimal) {
        let from_ms = from_ms.min(to_ms);
        let ends = [self.x_at(symbol, from_ms), self.x_at(symbol, to_ms)];
        let (mut lo, mut hi) = (ends[0].min(ends[1]), ends[0].max(ends[1]));
        // Whole minutes strictly inside (from, to).
        let first = from_ms.div_euclid(MINUTE_MS) + 1;
        let last = (to_ms - 1).div_euclid(MINUTE_MS);
        if first <= last {
            let (l, h) = self.minute_range(symbol, first, last);
            lo = lo.min(l);
            hi = hi.max(h);
        }
        (self.price_of_x(symbol, lo), self.price_of_x(symbol, hi))
    }

    fn minute_volume(&self, symbol: Symbol, minute_ms: i64) -> Decimal {
        let minute = minute_ms.div_euclid(MINUTE_MS);
        let (x0, x1) = (self.knot_x(symbol, minute), self.knot_x(symbol, minute + 1));
        let steps = Self::volume_steps(seed(symbol), profile(symbol).minute_volume_steps, minute, x0, x1);
        let step = symbol.filters().step_size;
        floor_to(Decimal::from(steps) * step, step)
    }

    /// Whole hours inside the range come from the hour cache; the minutes around them are
    /// computed in one batch.
    fn volume(&self, symbol: Symbol, from_ms: i64, to_ms: i64) -> Decimal {
        let first = from_ms.div_euclid(MINUTE_MS);
        let end = to_ms.div_euclid(MINUTE_MS);
        let mut steps = 0i64;
        let mut minute = first;
        while minute < end {
            if minute.rem_euclid(60) == 0 && minute + 60 <= end {
                steps += self.hour_summary(symbol, minute.div_euclid(60)).volume_steps;
                minute += 60;
                continue;
            }
            // The minutes up to the next whole hour (or the end).
            let stop = (minute.div_euclid(60) + 1).saturating_mul(60).min(end);
            let xs = self.knot_xs(symbol, minute, (stop - minute) as usize + 1);
            steps += Self::minutes_volume_steps(symbol, minute, &xs);
            minute = stop;
        }
        let step = symbol.filters().step_size;
        (Decimal::from(steps) * step).normalize()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::symbols::is_multiple;

    const T0: i64 = 1_772_532_000_000;

    #[test]
    fn prices_are_deterministic_positive_and_on_the_tick() {
        let a = SimulatedFeed::new();
        let b = SimulatedFeed::new();
        for symbol in Symbol::ALL {
            for i in 0..200 {
                let t = T0 + i * 7_919_131;
                let p = a.price(symbol, t);
                assert_eq!(p, b.price(symbol, t), "two feeds agree");
                assert!(p > Decimal::ZERO);
                assert!(is_multiple(p, symbol.filters().tick_size), "{symbol} {p}");
            }
        }
    }

    #[test]
    fn prices_stay_near_realistic_levels_and_move() {
        let feed = SimulatedFeed::new();
        for symbol in Symbol::ALL {
            let base: Decimal = profile(symbol).base.parse().unwrap();
            let mut distinct = std::collections::BTreeSet::new();
            for day in 0..400 {
                let p = feed.price(symbol, T0 + day * DAY_MS);
                assert!(
                    p > base * Decimal::new(3, 1) && p < base * Decimal::new(17, 1),
                    "{symbol} {p}"
                );
                distinct.insert(p);
            }
            assert!(distinct.len() > 300, "{symbol} moves from day to day");
            // Random-walk-like: the typical daily move is around the profile's volatility.
            let moves: Vec<f64> = (0..300)
                .map(|d| {
                    let p0 = feed.price(symbol, T0 + d * DAY_MS);
                    let p1 = feed.price(symbol, T0 + (d + 1) * DAY_MS);
                    ((p1 - p0) / p0).abs().try_into().unwrap()
                })
                .collect();
            let mean = moves.iter().sum::<f64>() / moves.len() as f64;
            let vol = profile(symbol).daily_vol_ppb as f64 / 1e9;
            assert!(mean > vol * 0.2 && mean < vol * 3.0, "{symbol}: mean daily move {mean}");
        }
    }

    #[test]
    fn extremes_match_a_brute_force_scan() {
        let feed = SimulatedFeed::new();
        let symbol = Symbol::Eth;
        let from = T0 + 12_345;
        let to = from + 3 * HOUR_MS + 54_321;
        let (lo, hi) = feed.extremes(symbol, from, to);
        let mut blo = feed.price(symbol, from);
        let mut bhi = blo;
        // Every whole second in the range (whole minutes included), plus both ends.
        let mut t = from - from.rem_euclid(1_000) + 1_000;
        while t <= to {
            let p = feed.price(symbol, t);
            blo = blo.min(p);
            bhi = bhi.max(p);
            t += 1_000;
        }
        let p = feed.price(symbol, to);
        blo = blo.min(p);
        bhi = bhi.max(p);
        assert_eq!((lo, hi), (blo, bhi));
        // A single instant.
        let p = feed.price(symbol, from);
        assert_eq!(feed.extremes(symbol, from, from), (p, p));
    }

    #[test]
    fn minute_volumes_are_positive_multiples_of_the_step() {
        let feed = SimulatedFeed::new();
        for symbol in Symbol::ALL {
            let v = feed.minute_volume(symbol, T0);
            assert!(v > Decimal::ZERO);
            assert!(is_multiple(v, symbol.filters().step_size));
            assert_eq!(v, feed.minute_volume(symbol, T0));
        }
    }

    #[test]
    fn batched_knots_and_volumes_equal_the_one_minute_ones() {
        let feed = SimulatedFeed::new();
        for symbol in Symbol::ALL {
            // Mid-interval starts, and runs across a knot of every level (4^8 = 65 536 minutes).
            for first in [T0 / MINUTE_MS - 1_234, 27 * 65_536 - 150, 0] {
                let xs = feed.knot_xs(symbol, first, 300);
                assert_eq!(xs.len(), 300);
                for (i, x) in xs.iter().enumerate() {
                    assert_eq!(*x, feed.knot_x(symbol, first + i as i64), "{symbol} minute {first}+{i}");
                }
            }
            assert!(feed.knot_xs(symbol, 5, 0).is_empty());
            // Unaligned ranges spanning whole hours, within one hour, and empty.
            for (from, to) in [
                (T0 - 7 * MINUTE_MS, T0 + 2 * HOUR_MS + 13 * MINUTE_MS),
                (T0 + 5 * MINUTE_MS, T0 + 9 * MINUTE_MS),
                (T0, T0 + HOUR_MS),
                (T0, T0),
            ] {
                let mut sum = Decimal::ZERO;
                let mut m = from;
                while m < to {
                    sum += feed.minute_volume(symbol, m);
                    m += MINUTE_MS;
                }
                assert_eq!(feed.volume(symbol, from, to), sum, "{symbol} [{from}, {to})");
                assert_eq!(feed.volume(symbol, from, to), sum, "cached");
            }
        }
    }
}
