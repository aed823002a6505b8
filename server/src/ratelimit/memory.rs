//! The in-process counter store: one process's view, used without Redis or while it is down.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Counters per key for the current window.
#[derive(Clone, Default)]
pub struct MemoryStore {
    counters: Arc<Mutex<HashMap<String, (u64, u64)>>>,
}

/// Above this many keys, counters of past windows are dropped.
const PRUNE_ABOVE: usize = 10_000;

impl MemoryStore {
    /// Adds one to `key` (whose name includes the window `index`) and returns the new count.
    pub fn incr(&self, key: &str, index: u64) -> u64 {
        let mut counters = self.counters.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if counters.len() > PRUNE_ABOVE {
            counters.retain(|_, (window, _)| *window >= index);
        }
        let entry = counters.entry(key.to_owned()).or_insert((index, 0));
        entry.1 += 1;
        entry.1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_key() {
        let store = MemoryStore::default();
        assert_eq!(store.incr("a:1", 1), 1);
        assert_eq!(store.incr("a:1", 1), 2);
        assert_eq!(store.incr("b:1", 1), 1);
    }

    #[test]
    fn prunes_past_windows() {
        let store = MemoryStore::default();
        for i in 0..=PRUNE_ABOVE {
            store.incr(&format!("k{i}:1"), 1);
        }
        store.incr("new:2", 2);
        assert_eq!(store.counters.lock().unwrap().len(), 1);
    }
}
