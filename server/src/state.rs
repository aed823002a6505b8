//! Shared application state: configuration, the database pool, Redis and the rate limiter.

use std::sync::Arc;
use std::time::Instant;

use redis::aio::ConnectionManager;

use crate::config::Config;
use crate::db::Db;
use crate::ratelimit::RateLimiter;

/// Everything handlers share; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// The contents of [`AppState`].
pub struct Inner {
    /// The configuration the server started with.
    pub config: Config,
    /// The database pool.
    pub db: Db,
    /// The Redis connection, when `REDIS_URL` is set.
    pub redis: Option<ConnectionManager>,
    /// Per-endpoint request budgets.
    pub limiter: RateLimiter,
    /// The keys that sign and verify JWTs.
    pub keys: crate::auth::tokens::Keys,
    /// Outgoing messages.
    pub mailer: crate::mailer::Mailer,
    /// When the server started.
    pub started_at: Instant,
    /// The market clock (the system clock, or a time tests set).
    pub clock: crate::clock::Clock,
    /// Where market prices come from.
    pub feed: Arc<dyn crate::domain::market::MarketFeed>,
    /// The background matcher's sweep counter.
    pub matcher: crate::engine::MatcherStatus,
}

impl AppState {
    /// Wraps the parts.
    pub fn new(inner: Inner) -> Self {
        Self(Arc::new(inner))
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}
