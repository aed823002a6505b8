//! [`TestServer`]: one Meridian server (the library on a real listener, on its own runtime)
//! with a fresh database, behind a validating [`Proxy`](crate::proxy::Proxy).

use std::time::Duration;

use meridian_server::config::{Config, MailerConfig};
use meridian_server::db::admin;
use meridian_server::ratelimit::RateLimitMode;
use meridian_server::state::AppState;

use crate::proxy::Proxy;

/// The JWT secret every test server signs with (replicas must agree on it).
pub const TEST_JWT_SECRET: &str = "meridian-contract-tests-signing-secret-0123456789";

/// The PostgreSQL server tests use, when set (`TEST_DATABASE_URL`).
pub fn postgres_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL").ok().filter(|s| !s.is_empty())
}

/// The Redis server tests use, when set (`REDIS_URL`).
pub fn redis_url() -> Option<String> {
    std::env::var("REDIS_URL").ok().filter(|s| !s.is_empty())
}

/// Whether this run must exercise PostgreSQL and Redis (`MERIDIAN_REQUIRE_SERVICES=1`, set by
/// `.ci/run`'s second pass): tests that need them fail instead of skipping when they are missing.
pub fn services_required() -> bool {
    std::env::var("MERIDIAN_REQUIRE_SERVICES").is_ok_and(|v| v == "1" || v == "true")
}

/// A random lower-case name with `prefix`, for databases and Redis key prefixes.
pub fn unique_name(prefix: &str) -> String {
    let n: u64 = rand::random();
    format!("{prefix}_{n:016x}")
}

/// Which database a test server gets.
#[derive(Debug, Clone)]
pub enum Database {
    /// A fresh SQLite file in the server's temporary directory.
    FreshSqlite,
    /// A fresh PostgreSQL database on `TEST_DATABASE_URL` (dropped when the server stops).
    FreshPostgres,
    /// An existing database URL (shared by replicas; not dropped).
    Url(String),
}

/// Options for [`TestServer`].
#[derive(Debug, Clone)]
pub struct TestServerBuilder {
    database: Option<Database>,
    rate_limits: RateLimitMode,
    redis: Option<(String, String)>,
    pool_size: usize,
    db_timeout_secs: u64,
    max_body_bytes: usize,
    access_token_ttl_secs: i64,
    client_token_ttl_secs: i64,
}

impl Default for TestServerBuilder {
    fn default() -> Self {
        Self {
            database: None,
            rate_limits: RateLimitMode::Scaled(1000),
            redis: None,
            pool_size: 5,
            db_timeout_secs: 5,
            max_body_bytes: 65_536,
            access_token_ttl_secs: 900,
            client_token_ttl_secs: 3600,
        }
    }
}

impl TestServerBuilder {
    /// The database (default: PostgreSQL when `TEST_DATABASE_URL` is set, else SQLite).
    pub fn database(mut self, database: Database) -> Self {
        self.database = Some(database);
        self
    }

    /// Rate-limit mode (default ×1000 so ordinary tests never hit a budget).
    pub fn rate_limits(mut self, mode: RateLimitMode) -> Self {
        self.rate_limits = mode;
        self
    }

    /// Use Redis at `url` with key prefix `prefix` (replicas share a prefix).
    pub fn redis(mut self, url: &str, prefix: &str) -> Self {
        self.redis = Some((url.to_owned(), prefix.to_owned()));
        self
    }

    /// Pool size and the seconds a request waits for a connection.
    pub fn pool(mut self, size: usize, timeout_secs: u64) -> Self {
        self.pool_size = size;
        self.db_timeout_secs = timeout_secs;
        self
    }

    /// Largest accepted body.
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Lifetime of user access tokens in seconds.
    pub fn access_token_ttl(mut self, secs: i64) -> Self {
        self.access_token_ttl_secs = secs;
        self
    }

    /// Lifetime of client tokens in seconds.
    pub fn client_token_ttl(mut self, secs: i64) -> Self {
        self.client_token_ttl_secs = secs;
        self
    }

    /// Starts the server and its proxy.
    pub async fn start(self) -> TestServer {
        TestServer::start_with(self).await.expect("the test server starts")
    }
}

/// A running server, its database and its validating proxy. Dropping it stops the server,
/// drops a fresh PostgreSQL database, and fails the test if the proxy saw a response that
/// does not conform to the bundle.
pub struct TestServer {
    /// Base URL of the validating proxy (what SDK clients use).
    pub url: String,
    /// Base URL of the server itself (bypasses validation; for raw-protocol tests).
    pub direct_url: String,
    state: AppState,
    proxy: Proxy,
    runtime: Option<tokio::runtime::Runtime>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    fresh_postgres: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl TestServer {
    /// A server with default options.
    pub async fn start() -> Self {
        Self::builder().start().await
    }

    /// Options for a server.
    pub fn builder() -> TestServerBuilder {
        TestServerBuilder::default()
    }

    async fn start_with(options: TestServerBuilder) -> anyhow::Result<Self> {
        let test = std::thread::current().name().unwrap_or("unnamed").to_owned();
        let dir = tempfile::tempdir()?;
        let database = options.database.clone().unwrap_or(if postgres_url().is_some() {
            Database::FreshPostgres
        } else {
            Database::FreshSqlite
        });
        let mut fresh_postgres = None;
        let database_url = match database {
            Database::FreshSqlite => format!("sqlite://{}", dir.path().join("meridian.db").display()),
            Database::FreshPostgres => {
                let base = postgres_url().ok_or_else(|| anyhow::anyhow!("TEST_DATABASE_URL is not set"))?;
                let name = unique_name("meridian_test");
                let url = admin::create_database(&base, &name).await?;
                fresh_postgres = Some((base, name));
                url
            }
            Database::Url(url) => url,
        };
        let mut config = Config::from_args(["meridian-server"])?;
        config.bind = "127.0.0.1:0".parse()?;
        config.database_url = database_url;
        config.db_pool_size = options.pool_size;
        config.db_timeout_secs = options.db_timeout_secs;
        config.redis_url = options.redis.as_ref().map(|(url, _)| url.clone());
        config.redis_prefix = options
            .redis
            .as_ref()
            .map(|(_, p)| p.clone())
            .unwrap_or_else(|| "meridian".into());
        config.rate_limits = options.rate_limits;
        config.mailer = MailerConfig::File(dir.path().join("mail"));
        config.jwt_secret = Some(TEST_JWT_SECRET.into());
        config.production = false;
        config.data_dir = dir.path().join("data");
        config.cors_origins = Vec::new();
        config.max_body_bytes = options.max_body_bytes;
        config.access_token_ttl_secs = options.access_token_ttl_secs;
        config.client_token_ttl_secs = options.client_token_ttl_secs;
        config.shutdown_grace_secs = 2;

        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        runtime.spawn(async move {
            match meridian_server::start(config).await {
                Ok(running) => {
                    let _ = ready_tx.send(Ok((running.addr, running.state.clone())));
                    let _ = stop_rx.await;
                    let _ = running.stop().await;
                }
                Err(error) => {
                    let _ = ready_tx.send(Err(error));
                }
            }
        });
        let (addr, state) = ready_rx.await??;
        let direct_url = format!("http://{addr}");
        let proxy = Proxy::start(runtime.handle(), &direct_url, &test).await?;
        Ok(Self {
            url: proxy.url.clone(),
            direct_url,
            state,
            proxy,
            runtime: Some(runtime),
            stop: Some(stop_tx),
            fresh_postgres,
            _dir: dir,
        })
    }

    /// A generated-SDK client pointed at the validating proxy.
    pub fn client(&self) -> meridian::GeneratedClient {
        meridian::GeneratedClient::new(&self.url, meridian::Runtime::default())
    }

    /// A plain HTTP client (for requests the SDK cannot make, e.g. garbage bodies).
    pub fn http(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("reqwest client")
    }

    /// The server's state (its pool, configuration, limiter).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The directory the server's file mailer writes to.
    pub fn mail_dir(&self) -> std::path::PathBuf {
        self._dir.path().join("mail")
    }

    /// The responses the proxy found not conforming to the bundle so far.
    pub fn violations(&self) -> Vec<String> {
        self.proxy.violations()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(runtime) = self.runtime.take() {
            // `shutdown_background`: this may run inside a test's own runtime, where blocking
            // shutdowns panic. The stop signal above already began the graceful stop.
            runtime.shutdown_background();
        }
        if let Some((base, name)) = self.fresh_postgres.take() {
            // Drop the database on a runtime of its own: this may run inside a test's runtime.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                if let Err(error) = rt.block_on(admin::drop_database(&base, &name)) {
                    eprintln!("could not drop test database {name}: {error:#}");
                }
            })
            .join();
        }
        let violations = self.proxy.violations();
        if !violations.is_empty() && !std::thread::panicking() {
            panic!(
                "responses that do not conform to the bundle:\n  {}",
                violations.join("\n  ")
            );
        }
    }
}

/// Waits until `check` holds, polling every 20 ms, failing after `deadline`.
pub async fn eventually<F: FnMut() -> bool>(deadline: Duration, what: &str, mut check: F) {
    let start = std::time::Instant::now();
    while !check() {
        assert!(
            start.elapsed() < deadline,
            "timed out after {deadline:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
