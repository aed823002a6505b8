//! Rate limiting: per-endpoint budgets (seed 003), fixed windows keyed by user or client IP,
//! counted in-process or in Redis (shared by every replica), with a fallback to the
//! in-process store while Redis is unreachable.

mod budgets;
mod memory;
mod redis_store;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use budgets::{Budget, budget_for};
pub use memory::MemoryStore;
pub use redis_store::RedisStore;

/// How strictly budgets apply (`--rate-limits`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RateLimitMode {
    /// The seed's budgets multiplied by this factor (`on` is ×1, `x100` is ×100).
    Scaled(u64),
    /// The seed's budgets divided by this factor, at least 1 (`/1000`: tests that need
    /// every budget spent after one request).
    Divided(u64),
    /// No limits and no rate-limit headers (benchmarks).
    Off,
}

impl std::str::FromStr for RateLimitMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "on" => Ok(Self::Scaled(1)),
            "off" => Ok(Self::Off),
            other if other.starts_with('/') => other[1..]
                .parse::<u64>()
                .ok()
                .filter(|n| *n >= 1)
                .map(Self::Divided)
                .ok_or_else(|| format!("`{s}` is not a divisor such as `/100`")),
            other => other
                .strip_prefix('x')
                .and_then(|n| n.parse::<u64>().ok())
                .filter(|n| *n >= 1)
                .map(Self::Scaled)
                .ok_or_else(|| {
                    format!("`{s}` is not `on`, `off`, a multiplier such as `x100` or a divisor such as `/100`")
                }),
        }
    }
}

/// The outcome of counting one request against a budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Requests allowed in the window.
    pub limit: u64,
    /// Requests left after this one (0 when refused).
    pub remaining: u64,
    /// Unix time (seconds) at which the window resets.
    pub reset: u64,
    /// Whether this request is within the budget.
    pub allowed: bool,
}

impl Decision {
    /// The decision for the `count`-th request of a window of `limit` ending at `reset`.
    pub fn from_count(count: u64, limit: u64, reset: u64) -> Self {
        Self {
            limit,
            remaining: limit.saturating_sub(count),
            reset,
            allowed: count <= limit,
        }
    }

    /// Seconds from `now` until the window resets (at least 1).
    pub fn retry_after(&self, now: u64) -> u64 {
        self.reset.saturating_sub(now).max(1)
    }
}

/// The fixed window containing `now` for a window length: its index and its end (unix s).
pub fn window(now: u64, window: Duration) -> (u64, u64) {
    let len = window.as_secs().max(1);
    let index = now / len;
    (index, (index + 1) * len)
}

/// Seconds since the Unix epoch.
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Counts requests against budgets in Redis when configured, else (or while Redis is down)
/// in process.
#[derive(Clone)]
pub struct RateLimiter {
    mode: RateLimitMode,
    memory: MemoryStore,
    redis: Option<RedisStore>,
}

impl RateLimiter {
    /// A limiter in `mode`, sharing counts through `redis` when given.
    pub fn new(mode: RateLimitMode, redis: Option<RedisStore>) -> Self {
        Self {
            mode,
            memory: MemoryStore::default(),
            redis,
        }
    }

    /// Whether limits apply at all.
    pub fn enabled(&self) -> bool {
        self.mode != RateLimitMode::Off
    }

    /// Counts one request of `subject` (a user id or client IP) against `budget`;
    /// `None` when limits are off.
    pub async fn hit(&self, budget: &Budget, subject: &str) -> Option<Decision> {
        let limit = match self.mode {
            RateLimitMode::Off => return None,
            RateLimitMode::Scaled(factor) => budget.limit.saturating_mul(factor),
            RateLimitMode::Divided(divisor) => (budget.limit / divisor).max(1),
        };
        let now = now_secs();
        let (index, reset) = window(now, budget.window);
        let key = format!("{}:{}:{}", budget.name, subject, index);
        if let Some(redis) = &self.redis
            && let Some(count) = redis.incr(&key, budget.window).await
        {
            return Some(Decision::from_count(count, limit, reset));
        }
        let count = self.memory.incr(&key, index);
        Some(Decision::from_count(count, limit, reset))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_modes() {
        assert_eq!("on".parse(), Ok(RateLimitMode::Scaled(1)));
        assert_eq!("OFF".parse(), Ok(RateLimitMode::Off));
        assert_eq!("x100".parse(), Ok(RateLimitMode::Scaled(100)));
        assert!("x0".parse::<RateLimitMode>().is_err());
        assert_eq!("/1000".parse(), Ok(RateLimitMode::Divided(1000)));
        assert!("/0".parse::<RateLimitMode>().is_err());
        assert!("fast".parse::<RateLimitMode>().is_err());
    }

    #[test]
    fn windows_are_aligned() {
        assert_eq!(window(125, Duration::from_secs(60)), (2, 180));
        assert_eq!(window(180, Duration::from_secs(60)), (3, 240));
    }

    #[test]
    fn decisions_count_down_and_refuse_past_the_limit() {
        assert_eq!(
            Decision::from_count(1, 5, 60),
            Decision {
                limit: 5,
                remaining: 4,
                reset: 60,
                allowed: true
            }
        );
        assert_eq!(Decision::from_count(5, 5, 60).remaining, 0);
        assert!(Decision::from_count(5, 5, 60).allowed);
        assert!(!Decision::from_count(6, 5, 60).allowed);
        assert_eq!(Decision::from_count(6, 5, 60).retry_after(59), 1);
        assert_eq!(Decision::from_count(6, 5, 60).retry_after(100), 1);
        assert_eq!(Decision::from_count(6, 5, 60).retry_after(18), 42);
    }

    #[tokio::test]
    async fn the_in_process_limiter_refuses_the_sixth_login() {
        let limiter = RateLimiter::new(RateLimitMode::Scaled(1), None);
        let budget = budget_for(&poem::http::Method::POST, "/api/auth/login");
        let mut allowed = 0;
        for _ in 0..6 {
            if limiter.hit(&budget, "10.0.0.1").await.unwrap().allowed {
                allowed += 1;
            }
        }
        // Another subject has its own budget.
        assert!(limiter.hit(&budget, "10.0.0.2").await.unwrap().allowed);
        // A window boundary may fall inside the loop; then more than five pass, never fewer.
        assert!((5..=6).contains(&allowed), "allowed {allowed}");
    }

    #[tokio::test]
    async fn off_means_no_decision() {
        let limiter = RateLimiter::new(RateLimitMode::Off, None);
        assert!(!limiter.enabled());
        assert_eq!(
            limiter
                .hit(&budget_for(&poem::http::Method::GET, "/api/health"), "x")
                .await,
            None
        );
    }
}
