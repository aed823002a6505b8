//! The database layer: one pool over SQLite (embedded default) or PostgreSQL, embedded
//! migrations per backend, and the error mapping (not-found → 404, unique → 409, down → 503).
//!
//! Queries are written once for both backends with [`with_conn!`](crate::with_conn) and
//! [`write_tx!`](crate::write_tx), which dispatch on the pooled connection's backend.

pub mod admin;
pub mod admin_queries;
pub mod client_keys;
pub mod client_tokens;
pub mod credit;
pub mod events;
pub mod idempotency;
pub mod loans;
pub mod one_time_tokens;
pub mod recovery;
pub mod schema;
pub mod sessions;
pub mod trading;
pub mod two_factor;
pub mod users;

use std::path::Path;
use std::time::Duration;

use diesel::SqliteConnection;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncConnection, AsyncMigrationHarness, AsyncPgConnection, SimpleAsyncConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use futures_util::FutureExt;

use crate::error::ApiError;

/// An async SQLite connection (diesel's sync connection run on tokio's blocking pool).
pub type SqliteConn = SyncConnectionWrapper<SqliteConnection>;

/// SQLite's migrations, embedded at build time.
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
/// PostgreSQL's migrations, embedded at build time.
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Pragmas every SQLite connection starts with: a busy timeout first (so even the switch to
/// WAL waits for a lock instead of failing while other connections open), WAL for
/// concurrent readers, and enforced foreign keys.
const SQLITE_PRAGMAS: &str =
    "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;";

/// A new opaque id `PREFIX_<32 hex digits>` (UUID v7): ids made by one process sort in the
/// order they were made, so lists ordered by (timestamp, id) keep insertion order when
/// timestamps tie (as they do under a fixed clock).
pub fn ordered_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::now_v7().simple())
}

/// Which database engine a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite (a file under `./data/` by default).
    Sqlite,
    /// PostgreSQL (production and multi-replica deployments).
    Postgres,
}

/// Where the database is, parsed from `DATABASE_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite database file (or `:memory:`).
    Sqlite(String),
    /// A `postgres://` or `postgresql://` URL.
    Postgres(String),
}

impl DatabaseUrl {
    /// Parses `sqlite://PATH`, `sqlite:PATH`, `postgres://…`, `postgresql://…` or a plain path.
    pub fn parse(url: &str) -> Result<Self, String> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_string()));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        if path.is_empty() {
            return Err("the database URL names no SQLite file".into());
        }
        if path.contains("://") {
            return Err(format!(
                "unsupported database URL `{url}`: use sqlite://PATH or postgres://…"
            ));
        }
        Ok(Self::Sqlite(path.to_string()))
    }
}

/// A pool of connections to one database.
#[derive(Clone)]
pub enum Db {
    /// SQLite pool.
    Sqlite(Pool<SqliteConn>),
    /// PostgreSQL pool.
    Postgres(Pool<AsyncPgConnection>),
}

/// A connection checked out of a [`Db`] pool. It lives briefly on a request's stack, so the
/// size difference of the variants costs nothing worth an allocation per checkout.
#[allow(clippy::large_enum_variant)]
pub enum DbConn {
    /// A SQLite connection.
    Sqlite(Object<SqliteConn>),
    /// A PostgreSQL connection.
    Postgres(Object<AsyncPgConnection>),
}

/// Runs `$body` with `$c` bound to the concrete connection (`&mut SqliteConn` or
/// `&mut AsyncPgConnection`), so one query text serves both backends.
#[macro_export]
macro_rules! with_conn {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::db::DbConn::Sqlite(obj) => {
                let $c: &mut $crate::db::SqliteConn = &mut *obj;
                $body
            }
            $crate::db::DbConn::Postgres(obj) => {
                let $c: &mut ::diesel_async::AsyncPgConnection = &mut *obj;
                $body
            }
        }
    };
}

/// Runs `$body` (an expression returning `Result<_, E>` where `E: From<diesel::result::Error>`)
/// in a write transaction: `BEGIN IMMEDIATE` on SQLite (so concurrent writers queue on the
/// busy timeout instead of failing on upgrade), a plain transaction on PostgreSQL.
#[macro_export]
macro_rules! write_tx {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::db::DbConn::Sqlite(obj) => {
                let conn: &mut $crate::db::SqliteConn = &mut *obj;
                conn.immediate_transaction(async |$c| $body).await
            }
            $crate::db::DbConn::Postgres(obj) => {
                let conn: &mut ::diesel_async::AsyncPgConnection = &mut *obj;
                ::diesel_async::AsyncConnection::transaction(conn, async |$c| $body).await
            }
        }
    };
}

/// Database failures, as the API reports them.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// No row matched (→ 404).
    #[error("not found")]
    NotFound,
    /// A unique constraint was violated (→ 409); the text names the constraint when known.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database could not be reached in time (→ 503).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Text the database cannot store, e.g. a NUL character (→ 400).
    #[error("invalid text: {0}")]
    InvalidText(String),
    /// Anything else (→ 500, logged).
    #[error("database error: {0}")]
    Other(String),
}

impl From<diesel::result::Error> for DbError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match error {
            Error::NotFound => Self::NotFound,
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                Self::Conflict(info.constraint_name().unwrap_or(info.message()).to_string())
            }
            // The connection is gone (closed, reset, or the server never answered): the
            // database is down or restarting, not the request at fault.
            Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                info,
            ) => Self::Unavailable(info.message().into()),
            Error::DatabaseError(_, info) if is_transient(info.message()) => Self::Unavailable(info.message().into()),
            // PostgreSQL refuses NUL characters in text (SQLSTATE 22021): the caller's input.
            Error::DatabaseError(_, info) if info.message().contains("invalid byte sequence") => {
                Self::InvalidText(info.message().into())
            }
            other => Self::Other(other.to_string()),
        }
    }
}

/// Whether a database error message says the server is shutting down, starting up, or
/// was too slow or too contended to answer in time: worth a retry, so a 503 rather than a
/// 500. (diesel keeps PostgreSQL's SQLSTATE of these only in the message.)
fn is_transient(message: &str) -> bool {
    const TRANSIENT: [&str; 7] = [
        // PostgreSQL 57P01/57P02: the server terminated the session (`pg_ctl stop`, crash).
        "terminating connection due to",
        // 57P03: the server is starting up or shutting down.
        "the database system is",
        // 57014: the statement ran past `statement_timeout` (the configured database timeout).
        "canceling statement due to statement timeout",
        // 40P01: PostgreSQL broke a deadlock by aborting this transaction.
        "deadlock detected",
        // 53300: connection slots exhausted.
        "too many clients",
        // SQLite: another writer held the lock past the busy timeout.
        "database is locked",
        "database table is locked",
    ];
    TRANSIENT.iter().any(|needle| message.contains(needle))
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for DbError {
    fn from(error: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        Self::Unavailable(error.to_string())
    }
}

impl From<DbError> for ApiError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::NotFound => ApiError::NotFound("The requested resource does not exist.".into()),
            DbError::Conflict(_) => ApiError::Conflict("The resource already exists.".into()),
            DbError::Unavailable(cause) => {
                tracing::warn!(%cause, "database unavailable");
                ApiError::ServiceUnavailable {
                    message: "The database is unreachable; try again shortly.".into(),
                    retry_after: 5,
                    extra: Default::default(),
                }
            }
            DbError::InvalidText(_) => ApiError::bad_request("Text values must not contain NUL characters."),
            DbError::Other(cause) => ApiError::internal(cause),
        }
    }
}

/// Pool settings.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    /// Maximum open connections.
    pub max_size: usize,
    /// How long a request waits for a connection (and a new connection for the server)
    /// before failing with 503.
    pub timeout: Duration,
}

impl Db {
    /// Opens a pool on `url` and runs the pending migrations.
    pub async fn connect(url: &DatabaseUrl, options: &PoolOptions) -> anyhow::Result<Self> {
        let db = match url {
            DatabaseUrl::Sqlite(path) => {
                let memory = path == ":memory:";
                if !memory && let Some(dir) = Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)?;
                }
                let mut config = ManagerConfig::<SqliteConn>::default();
                config.custom_setup = Box::new(|url| establish_sqlite(url.to_string()).boxed());
                let manager = AsyncDieselConnectionManager::new_with_config(path.clone(), config);
                // `:memory:` is one database per connection: keep exactly one.
                let max_size = if memory { 1 } else { options.max_size };
                Db::Sqlite(build_pool(manager, max_size, options.timeout)?)
            }
            DatabaseUrl::Postgres(url) => {
                let mut config = ManagerConfig::<AsyncPgConnection>::default();
                let statement_timeout = options.timeout.as_millis();
                config.custom_setup =
                    Box::new(move |url| establish_postgres(url.to_string(), statement_timeout).boxed());
                let manager = AsyncDieselConnectionManager::new_with_config(url.clone(), config);
                Db::Postgres(build_pool(manager, options.max_size, options.timeout)?)
            }
        };
        db.migrate().await?;
        Ok(db)
    }

    /// The backend of this pool.
    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Checks a connection out of the pool (503 when none comes in time).
    ///
    /// The pool bounds each step (the wait for a free slot, the check of an idle connection,
    /// opening a new one) by the configured timeout; this bounds their sum by it too, so a
    /// database that stops answering costs a request at most one timeout, not one per idle
    /// connection the pool tries first.
    pub async fn conn(&self) -> Result<DbConn, DbError> {
        let unavailable = || DbError::Unavailable("no database connection within the configured timeout".into());
        Ok(match self {
            Db::Sqlite(pool) => {
                let deadline = pool.timeouts().wait.unwrap_or(Duration::from_secs(5));
                DbConn::Sqlite(
                    tokio::time::timeout(deadline, pool.get())
                        .await
                        .map_err(|_| unavailable())??,
                )
            }
            Db::Postgres(pool) => {
                let deadline = pool.timeouts().wait.unwrap_or(Duration::from_secs(5));
                DbConn::Postgres(
                    tokio::time::timeout(deadline, pool.get())
                        .await
                        .map_err(|_| unavailable())??,
                )
            }
        })
    }

    /// Runs a trivial query: the health probe.
    pub async fn ping(&self) -> Result<(), DbError> {
        let mut conn = self.conn().await?;
        with_conn!(&mut conn, c => c.batch_execute("SELECT 1").await)?;
        Ok(())
    }

    /// Runs the embedded migrations of this backend on a connection from the pool.
    async fn migrate(&self) -> anyhow::Result<()> {
        fn run<C: AsyncConnection + 'static>(conn: C, migrations: EmbeddedMigrations) -> anyhow::Result<()>
        where
            AsyncMigrationHarness<C>: MigrationHarness<C::Backend>,
        {
            let mut harness = AsyncMigrationHarness::new(conn);
            harness
                .run_pending_migrations(migrations)
                .map_err(|e| anyhow::anyhow!("migrations failed: {e}"))?;
            Ok(())
        }
        match self {
            Db::Sqlite(pool) => {
                let conn = Object::take(pool.get().await.map_err(DbError::from)?);
                run(conn, SQLITE_MIGRATIONS)
            }
            Db::Postgres(pool) => {
                let mut conn = Object::take(pool.get().await.map_err(DbError::from)?);
                // Replicas starting together migrate one at a time: a session-level advisory
                // lock, released when this connection closes after the migrations. Migrations
                // may take longer than a request's statement timeout.
                conn.batch_execute("SET statement_timeout = 0; SELECT pg_advisory_lock(7263740921)")
                    .await?;
                run(conn, POSTGRES_MIGRATIONS)
            }
        }
    }
}

/// Builds a deadpool pool with wait and create timeouts.
fn build_pool<C: diesel_async::pooled_connection::PoolableConnection + Send + 'static>(
    manager: AsyncDieselConnectionManager<C>,
    max_size: usize,
    timeout: Duration,
) -> anyhow::Result<Pool<C>>
where
    AsyncDieselConnectionManager<C>: deadpool::managed::Manager,
{
    Ok(Pool::builder(manager)
        .max_size(max_size.max(1))
        .wait_timeout(Some(timeout))
        .create_timeout(Some(timeout))
        .recycle_timeout(Some(timeout))
        .runtime(deadpool::Runtime::Tokio1)
        .build()?)
}

/// Opens one PostgreSQL connection whose statements give up after `statement_timeout_ms`
/// (the configured database timeout): a statement stuck behind a lock or on an overloaded
/// server ends in a 503 instead of holding the request.
async fn establish_postgres(url: String, statement_timeout_ms: u128) -> diesel::ConnectionResult<AsyncPgConnection> {
    let mut conn = AsyncPgConnection::establish(&url).await?;
    conn.batch_execute(&format!("SET statement_timeout = {statement_timeout_ms}"))
        .await
        .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
    Ok(conn)
}

/// Opens one SQLite connection with Meridian's pragmas.
async fn establish_sqlite(path: String) -> diesel::ConnectionResult<SqliteConn> {
    let mut conn = SqliteConn::establish(&path).await?;
    conn.batch_execute(SQLITE_PRAGMAS)
        .await
        .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_or_overloaded_database_is_a_503_and_the_rest_a_500() {
        use diesel::result::{DatabaseErrorKind as Kind, Error};
        let error = |kind, message: &str| DbError::from(Error::DatabaseError(kind, Box::new(message.to_owned())));
        for (kind, message) in [
            (Kind::UnableToSendCommand, "connection closed"),
            (Kind::ClosedConnection, "server closed the connection unexpectedly"),
            (Kind::Unknown, "terminating connection due to administrator command"),
            (Kind::Unknown, "the database system is shutting down"),
            (Kind::Unknown, "canceling statement due to statement timeout"),
            (Kind::Unknown, "deadlock detected"),
            (Kind::Unknown, "database is locked"),
        ] {
            assert!(matches!(error(kind, message), DbError::Unavailable(_)), "{message}");
        }
        assert!(matches!(error(Kind::CheckViolation, "check failed"), DbError::Other(_)));
        assert!(matches!(error(Kind::UniqueViolation, "dup"), DbError::Conflict(_)));
        let ApiError::ServiceUnavailable { retry_after, .. } = ApiError::from(DbError::Unavailable("x".into())) else {
            panic!("not a 503");
        };
        assert!(retry_after > 0);
    }

    #[test]
    fn parses_database_urls() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/m.db"),
            Ok(DatabaseUrl::Sqlite("data/m.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///tmp/m.db"),
            Ok(DatabaseUrl::Sqlite("/tmp/m.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite::memory:"),
            Ok(DatabaseUrl::Sqlite(":memory:".into()))
        );
        assert_eq!(DatabaseUrl::parse("./m.db"), Ok(DatabaseUrl::Sqlite("./m.db".into())));
        assert_eq!(
            DatabaseUrl::parse("postgres://u@h:5432/d"),
            Ok(DatabaseUrl::Postgres("postgres://u@h:5432/d".into()))
        );
        assert!(DatabaseUrl::parse("mysql://x").is_err());
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }
}
