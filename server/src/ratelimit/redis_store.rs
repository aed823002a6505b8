//! The Redis counter store: `INCR` + `EXPIRE` in one script, so every replica sees one count.

use std::time::Duration;

use redis::Script;
use redis::aio::ConnectionManager;

/// Bound on one Redis round trip; past it the request falls back to the in-process store.
const TIMEOUT: Duration = Duration::from_millis(500);

/// Counters in Redis under `<prefix>:rl:<budget>:<subject>:<window>`.
#[derive(Clone)]
pub struct RedisStore {
    conn: ConnectionManager,
    script: Script,
    prefix: String,
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
        }
    }

    /// Adds one to `key` (expiring with its window) and returns the new count.
    pub async fn incr(&self, key: &str, window: Duration) -> anyhow::Result<u64> {
        let mut conn = self.conn.clone();
        let mut invocation = self.script.key(format!("{}:rl:{key}", self.prefix));
        invocation.arg(window.as_secs().max(1) + 1);
        let call = invocation.invoke_async::<u64>(&mut conn);
        Ok(tokio::time::timeout(TIMEOUT, call).await??)
    }
}
