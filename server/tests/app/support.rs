//! Test support: a server state on a fresh database (SQLite in a temporary directory, or a
//! fresh PostgreSQL database when `TEST_DATABASE_URL` is set).

use meridian_server::config::Config;
use meridian_server::db::admin;
use meridian_server::state::AppState;

/// A state on a fresh database; keep the guard alive while using it.
pub struct Fresh {
    /// The state.
    pub state: AppState,
    _dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

impl Drop for Fresh {
    fn drop(&mut self) {
        if let Some((base, name)) = self.postgres.take() {
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                let _ = rt.block_on(admin::drop_database(&base, &name));
            })
            .join();
        }
    }
}

/// The backends to run a database test on: SQLite always, PostgreSQL when configured.
pub fn backends() -> Vec<&'static str> {
    let mut out = vec!["sqlite"];
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|v| !v.is_empty()) {
        out.push("postgres");
    }
    out
}

/// A fresh state on `backend` (`sqlite` or `postgres`) with `pool_size` connections.
pub async fn fresh(backend: &str, pool_size: usize) -> Fresh {
    let dir = tempfile::tempdir().unwrap();
    let mut postgres = None;
    let database_url = if backend == "postgres" {
        let base = std::env::var("TEST_DATABASE_URL").unwrap();
        let n: u64 = rand_id();
        let name = format!("meridian_srv_{n:016x}");
        let url = admin::create_database(&base, &name).await.unwrap();
        postgres = Some((base, name));
        url
    } else {
        format!("sqlite://{}", dir.path().join("m.db").display())
    };
    let mut config = Config::from_args(["meridian-server"]).unwrap();
    config.database_url = database_url;
    config.db_pool_size = pool_size;
    config.redis_url = None;
    config.jwt_secret = Some("server-tests-signing-secret-0123456789abcdef".into());
    config.data_dir = dir.path().join("data");
    config.rate_limits = meridian_server::ratelimit::RateLimitMode::Scaled(1000);
    config.max_body_bytes = 4096;
    let state = meridian_server::build_state(config).await.unwrap();
    Fresh {
        state,
        _dir: dir,
        postgres,
    }
}

/// A random number for names and choices (no extra dependency).
pub fn rand_id() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    );
    h.finish()
}
