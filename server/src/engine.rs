//! The paper-trading engine's moving part: matching resting GTC orders against the feed.
//!
//! A resting order fills at its limit price once the feed has reached it at any instant
//! since it was placed (BUY: the lowest price ≤ limit; SELL: the highest ≥ limit), which the
//! feed answers exactly with [`MarketFeed::extremes`]. Matching runs before every trading
//! read of an order's owner ([`match_user`]) and in a background loop ([`spawn_matcher`])
//! that sweeps every symbol at least once a second, so orders fill with nobody watching.
//! Each fill happens under the owner's wallet lock with the order re-read there, so an order
//! fills once however many requests and replicas race for it; on PostgreSQL the background
//! matcher skips wallets another transaction holds (`FOR UPDATE SKIP LOCKED`).

use std::str::FromStr;
use std::time::Duration;

use rust_decimal::Decimal;
use tokio::sync::watch;

use crate::db::trading::{self as store, Moment, OrderRow};
use crate::domain::market::MarketFeed;
use crate::domain::symbols::Symbol;
use crate::domain::trading::Side;
use crate::error::ApiError;
use crate::state::AppState;

/// How often the background matcher sweeps.
pub const SWEEP_INTERVAL: Duration = Duration::from_millis(500);

/// Whether the feed reached `order`'s limit price between its placement and `now_ms`.
pub fn crossed(feed: &dyn MarketFeed, order: &OrderRow, now_ms: i64) -> bool {
    let (Ok(symbol), Ok(side), Ok(limit)) = (
        Symbol::from_str(&order.symbol),
        Side::from_str(&order.side),
        Decimal::from_str(&order.price),
    ) else {
        return false;
    };
    let (low, high) = feed.extremes(symbol, order.transact_time, now_ms);
    match side {
        Side::Buy => low <= limit,
        Side::Sell => high >= limit,
    }
}

/// The moment of a change: the market clock and the configured fee.
pub fn moment(state: &AppState) -> Moment {
    Moment {
        now_ms: state.clock.now_ms(),
        fee_rate: state.config.trading_fee,
    }
}

/// Fills the user's resting orders that the market crossed (before a read of theirs).
/// Cheap when nothing crossed: one read query, no write.
pub async fn match_user(state: &AppState, user_id: &str) -> Result<usize, ApiError> {
    let moment = moment(state);
    let mut conn = state.db.conn().await?;
    let open = store::open_orders(&mut conn, user_id).await?;
    let feed = state.feed.as_ref();
    if !open.iter().any(|o| crossed(feed, o, moment.now_ms)) {
        return Ok(0);
    }
    let check = |o: &OrderRow| crossed(feed, o, moment.now_ms);
    Ok(store::fill_crossed(&mut conn, user_id, moment, false, &check).await?)
}

/// Sweep notifications: the number of completed sweeps (tests wait on it instead of sleeping).
#[derive(Clone)]
pub struct MatcherStatus {
    sweeps: watch::Sender<u64>,
}

impl Default for MatcherStatus {
    fn default() -> Self {
        Self {
            sweeps: watch::Sender::new(0),
        }
    }
}

impl MatcherStatus {
    /// A receiver that sees each completed sweep.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.sweeps.subscribe()
    }
}

/// One sweep over every symbol, looking back to `since_ms`: fills every crossed resting
/// order. Returns how many filled.
pub async fn sweep(state: &AppState, since_ms: i64) -> Result<usize, ApiError> {
    let moment = moment(state);
    let feed = state.feed.as_ref();
    let mut conn = state.db.conn().await?;
    let mut filled = 0;
    for symbol in Symbol::ALL {
        let (low, high) = feed.extremes(symbol, since_ms.min(moment.now_ms), moment.now_ms);
        let tick = symbol.filters().tick_size;
        let ticks = |p: Decimal| i64::try_from((p / tick).trunc()).unwrap_or(i64::MAX);
        let users = store::users_with_crossed_orders(&mut conn, symbol, ticks(low), ticks(high)).await?;
        for user in users {
            let check = |o: &OrderRow| crossed(feed, o, moment.now_ms);
            filled += store::fill_crossed(&mut conn, &user, moment, true, &check).await?;
        }
    }
    Ok(filled)
}

/// Starts the background matcher; it stops when the returned handle is aborted or dropped
/// with the runtime.
pub fn spawn_matcher(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut since: Option<i64> = None;
        let mut ticker = tokio::time::interval(SWEEP_INTERVAL);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let now = state.clock.now_ms();
            let from = match since {
                Some(t) => t,
                // First sweep: look back to the oldest resting order (the server may have been
                // down while the market crossed it).
                None => match state.db.conn().await {
                    Ok(mut conn) => store::oldest_open_order_ms(&mut conn)
                        .await
                        .ok()
                        .flatten()
                        .unwrap_or(now),
                    Err(_) => continue,
                },
            };
            match sweep(&state, from).await {
                Ok(filled) => {
                    if filled > 0 {
                        tracing::info!(filled, "matcher filled resting orders");
                    }
                    since = Some(now);
                }
                Err(error) => tracing::warn!(?error, "matcher sweep failed; retrying"),
            }
            state.matcher.sweeps.send_modify(|n| *n += 1);
        }
    })
}
