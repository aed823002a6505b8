//! The business clock: wall-clock time, or a time set by tests so the simulated market and
//! loan schedules can be moved to a chosen instant without waiting for it.
//!
//! The market feed, the trading engine, and the credit and loans groups read this clock;
//! tokens, sessions and rate limits keep the system clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};

/// Milliseconds since the Unix epoch, read from the system or from a value tests set.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// `0`: follow the system clock; otherwise the fixed current time in milliseconds.
    fixed_ms: Arc<AtomicI64>,
}

impl Clock {
    /// A clock following the system time.
    pub fn system() -> Self {
        Self::default()
    }

    /// The current time in milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        match self.fixed_ms.load(Ordering::SeqCst) {
            0 => Utc::now().timestamp_millis(),
            fixed => fixed,
        }
    }

    /// The current time as a UTC instant (millisecond precision).
    pub fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.now_ms()).unwrap_or_default()
    }

    /// Stops the clock at `ms` (tests): every later reading is `ms` until the next call.
    pub fn set_ms(&self, ms: i64) {
        assert!(ms > 0, "a fixed clock needs a positive time");
        self.fixed_ms.store(ms, Ordering::SeqCst);
    }

    /// Moves a stopped clock forward by `ms` (stopping it at the current time first).
    pub fn advance_ms(&self, ms: i64) {
        let now = self.now_ms();
        self.set_ms(now + ms);
    }

    /// Lets the clock follow the system time again.
    pub fn resume(&self) {
        self.fixed_ms.store(0, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_stays_until_moved() {
        let clock = Clock::system();
        let before = Utc::now().timestamp_millis();
        assert!(clock.now_ms() >= before);
        clock.set_ms(1_772_532_000_000);
        assert_eq!(clock.now_ms(), 1_772_532_000_000);
        clock.clone().advance_ms(1500);
        assert_eq!(clock.now_ms(), 1_772_532_001_500, "clones share the time");
        assert_eq!(clock.now().timestamp_millis(), 1_772_532_001_500);
        clock.resume();
        assert!(clock.now_ms() >= before);
    }
}
