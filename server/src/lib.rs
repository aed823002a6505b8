//! Meridian API server: the poem-openapi implementation of the hand-written specs in
//! `openapi/`, over SQLite or PostgreSQL (diesel-async), with optional Redis.
//!
//! [`run`] is what the binary does; [`build_state`] and [`app`] let tests assemble the same
//! application in process.

pub mod api;
pub mod auth;
pub mod clock;
pub mod config;
pub mod db;
pub mod docs;
pub mod domain;
pub mod engine;
pub mod error;
pub mod http;
pub mod mailer;
pub mod ratelimit;
pub mod secrets;
pub mod state;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::{Endpoint, EndpointExt, Response, Route};
use tokio::sync::oneshot;

use crate::config::{Config, LogFormat};
use crate::db::{DatabaseUrl, Db, PoolOptions};
use crate::http::validate::BodySchemas;
use crate::ratelimit::{RateLimiter, RedisStore};
use crate::state::{AppState, Inner};

/// Connects to the database (running migrations) and Redis, and assembles the state.
pub async fn build_state(config: Config) -> anyhow::Result<AppState> {
    let url = DatabaseUrl::parse(&config.database_url).map_err(anyhow::Error::msg)?;
    let db = Db::connect(
        &url,
        &PoolOptions {
            max_size: config.db_pool_size,
            timeout: config.db_timeout(),
        },
    )
    .await
    .context("opening the database")?;
    let redis = match &config.redis_url {
        Some(url) => {
            let client = redis::Client::open(url.as_str()).context("parsing REDIS_URL")?;
            // Reconnection after an outage retries at least once a second (redis-rs' default
            // backoff grows to 3.2 s and gives up after 6 tries), so service through Redis
            // resumes within about a second of its return.
            let reconnect = redis::aio::ConnectionManagerConfig::new()
                .set_max_delay(Duration::from_secs(1))
                .set_connection_timeout(Some(Duration::from_secs(1)))
                .set_response_timeout(Some(Duration::from_secs(1)));
            let manager = tokio::time::timeout(
                Duration::from_secs(5),
                client.get_connection_manager_with_config(reconnect),
            )
            .await
            .context("connecting to Redis timed out")?
            .context("connecting to Redis")?;
            Some(manager)
        }
        None => None,
    };
    let limiter = RateLimiter::new(
        config.rate_limits,
        redis.clone().map(|conn| RedisStore::new(conn, &config.redis_prefix)),
    );
    if let Some(email) = &config.bootstrap_admin {
        bootstrap_admin(&db, email).await?;
    }
    let keys = auth::tokens::Keys::new(&secrets::jwt_secret(&config)?)?;
    let config_mailer = config.mailer.clone();
    Ok(AppState::new(Inner {
        config,
        db,
        redis,
        limiter,
        keys,
        mailer: mailer::Mailer::new(config_mailer),
        started_at: Instant::now(),
        clock: clock::Clock::system(),
        feed: Arc::new(domain::market::SimulatedFeed::new()),
        matcher: engine::MatcherStatus::default(),
    }))
}

/// Gives the account with `email` the admin role, if it exists (`--bootstrap-admin`).
async fn bootstrap_admin(db: &Db, email: &str) -> anyhow::Result<()> {
    let email = auth::flows::normalise_email(email);
    let mut conn = db.conn().await?;
    match db::users::find_by_email(&mut conn, &email).await {
        Ok(mut user) if user.role != "admin" => {
            user.role = "admin".into();
            user.updated_at = chrono::Utc::now().naive_utc();
            db::users::save(&mut conn, &user).await?;
            tracing::warn!(%email, "bootstrap admin: granted the admin role");
        }
        Ok(_) => {}
        Err(db::DbError::NotFound) => {
            tracing::warn!(%email, "bootstrap admin: no such account yet; it becomes admin when it registers");
        }
        Err(other) => return Err(other.into()),
    }
    Ok(())
}

/// The whole application: the API, the documents and Swagger UI, inside the middleware.
pub fn app(state: &AppState) -> anyhow::Result<impl Endpoint<Output = Response> + use<>> {
    let service = api::service(state);
    let spec: serde_json::Value = serde_json::from_str(&service.spec())?;
    let served = BodySchemas::served_operations(&spec);
    let schemas = BodySchemas::new(&serde_json::from_str(docs::BUNDLE_JSON)?, &served)?;
    let routes = docs::routes(Route::new()).nest("/", service).data(state.clone());
    Ok(http::middleware(
        routes.around(docs::redirect_root),
        state,
        Arc::new(schemas),
        Arc::new(http::routes::Routes::new(&spec)),
    ))
}

/// Sets up logging on stderr (stdout carries only the `listening on` lines).
pub fn init_tracing(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Pretty => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// A server accepting connections on a real socket, serving until [`Running::stop`].
pub struct Running {
    /// The address it listens on (the real port when bound to port 0).
    pub addr: SocketAddr,
    /// Its state (database pool, limiter, configuration).
    pub state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    matcher: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Stops accepting, lets in-flight requests finish (up to the configured grace period)
    /// and waits for the server to end.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let result = (&mut self.task).await;
        self.matcher.abort();
        result??;
        Ok(())
    }

    /// Waits for the server to end (after [`Running::stop`] or a fatal error).
    async fn wait(&mut self) -> anyhow::Result<()> {
        (&mut self.task).await??;
        Ok(())
    }
}

/// Connects, migrates, binds and starts serving on the current tokio runtime (which must be
/// multi-threaded: migrations use `block_in_place`).
pub async fn start(config: Config) -> anyhow::Result<Running> {
    let grace = Duration::from_secs(config.shutdown_grace_secs);
    let bind = config.bind;
    let state = build_state(config).await?;
    let app = app(&state)?;
    let acceptor = TcpListener::bind(bind)
        .into_acceptor()
        .await
        .with_context(|| format!("binding {bind}"))?;
    let addr = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .context("the listener has no address")?;
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        poem::Server::new_with_acceptor(acceptor)
            .run_with_graceful_shutdown(
                app,
                async move {
                    let _ = rx.await;
                },
                Some(grace),
            )
            .await
    });
    let matcher = engine::spawn_matcher(state.clone());
    Ok(Running {
        addr,
        state,
        shutdown: Some(tx),
        task,
        matcher,
    })
}

/// Runs the server until SIGINT/SIGTERM, then lets in-flight requests finish.
///
/// Prints `listening on http://HOST:PORT` (the real port, also for port 0) to stdout once
/// the socket accepts connections.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let mut running = start(config).await?;
    let addr = running.addr;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on http://{addr}")?;
        writeln!(out, "  API docs (Swagger UI): http://{addr}/docs")?;
        writeln!(out, "  health:                http://{addr}/api/health")?;
        writeln!(out, "  OpenAPI document:      http://{addr}/openapi.json")?;
        out.flush()?;
    }
    tracing::info!(%addr, backend = ?running.state.db.backend(), "serving");
    tokio::select! {
        () = shutdown_signal() => running.stop().await?,
        result = running.wait() => result?,
    }
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}
