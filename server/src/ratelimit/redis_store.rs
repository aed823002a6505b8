//! The Redis counter store: `INCR` + `EXPIRE` in one script, so every replica sees one count;
//! while Redis is unreachable it steps aside (the limiter counts in process) and probes it
//! again once a second, logging each change of state once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use redis::Script;
use redis::aio::ConnectionManager;

/// Bound on one Redis round trip; past it the request falls back to the in-process store.
const TIMEOUT: Duration = Duration::from_millis(500);

/// How long after a failure requests skip Redis before one of them tries it again.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Counters in Redis under `<prefix>:rl:<budget>:<subject>:<window>`.
#[derive(Clone)]
pub struct RedisStore {
    conn: ConnectionManager,
    script: Script,
    prefix: String,
    breaker: Arc<Breaker>,
}

impl RedisStore {
    /// A store on an open connection manager, its keys starting with `prefix`.
    pub fn new(conn: ConnectionManager, prefix: &str) -> Self {
        let script = Script::new(
            "local n = redis.call('INCR', KEYS[1]) \
             if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end \
             return n",
        );
        Self {
            conn,
            script,
            prefix: prefix.to_owned(),
            breaker: Arc::new(Breaker::new()),
        }
    }

    /// Adds one to `key` (expiring with its window) and returns the new count; `None` when
    /// Redis is unreachable (or was, less than a second ago): the caller counts in process.
    pub async fn incr(&self, key: &str, window: Duration) -> Option<u64> {
        if !self.breaker.should_try() {
            return None;
        }
        let mut conn = self.conn.clone();
        let mut invocation = self.script.key(format!("{}:rl:{key}", self.prefix));
        invocation.arg(window.as_secs().max(1) + 1);
        let call = invocation.invoke_async::<u64>(&mut conn);
        match tokio::time::timeout(TIMEOUT, call).await {
            Ok(Ok(count)) => {
                self.breaker.succeeded();
                Some(count)
            }
            Ok(Err(error)) => {
                self.breaker.failed(&error.to_string());
                None
            }
            Err(_) => {
                self.breaker.failed("no answer within 500 ms");
                None
            }
        }
    }
}

/// Whether Redis is usable: after a failure, requests skip it for [`RETRY_AFTER`], then a
/// single request tries it again (the others keep skipping until that one succeeds or the
/// next interval passes). A change of state is logged once, not once per request.
struct Breaker {
    down: AtomicBool,
    /// Milliseconds since `epoch` before which requests skip Redis.
    retry_at_ms: AtomicU64,
    epoch: Instant,
}

impl Breaker {
    fn new() -> Self {
        Self {
            down: AtomicBool::new(false),
            retry_at_ms: AtomicU64::new(0),
            epoch: Instant::now(),
        }
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// Whether this request should use Redis: always while it is up; while it is down, only
    /// the first request after each retry interval (it claims the probe by moving the
    /// interval on).
    fn should_try(&self) -> bool {
        if !self.down.load(Ordering::Acquire) {
            return true;
        }
        let now = self.now_ms();
        let retry_at = self.retry_at_ms.load(Ordering::Acquire);
        now >= retry_at
            && self
                .retry_at_ms
                .compare_exchange(
                    retry_at,
                    now + RETRY_AFTER.as_millis() as u64,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                )
                .is_ok()
    }

    fn failed(&self, error: &str) {
        self.retry_at_ms
            .store(self.now_ms() + RETRY_AFTER.as_millis() as u64, Ordering::Release);
        if !self.down.swap(true, Ordering::AcqRel) {
            tracing::warn!(%error, "Redis unreachable: rate limits fall back to the in-process store");
        }
    }

    fn succeeded(&self) {
        if self.down.swap(false, Ordering::AcqRel) {
            tracing::warn!("Redis reachable again: rate limits are shared through Redis again");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_breaker_skips_redis_after_a_failure_and_lets_one_probe_through_later() {
        let breaker = Breaker::new();
        assert!(breaker.should_try() && breaker.should_try(), "up: every request tries");
        breaker.failed("refused");
        assert!(!breaker.should_try(), "down: requests skip Redis until the retry time");
        // Pretend the retry time has come: exactly one request claims the probe.
        breaker.retry_at_ms.store(0, Ordering::Release);
        assert!(breaker.should_try());
        assert!(!breaker.should_try(), "a second request does not probe too");
        breaker.succeeded();
        assert!(breaker.should_try() && breaker.should_try(), "up again");
    }
}
