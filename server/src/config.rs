//! Server configuration from command-line flags and environment variables (clap).
//!
//! The flag and variable names are a public interface: tests, benchmarks and deployment
//! scripts rely on them (see README.md). Change one only with a note in the docs.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};

use crate::ratelimit::RateLimitMode;

/// Meridian API server: auth, accounts, client keys, paper trading, credit and loans.
#[derive(Debug, Clone, Parser)]
#[command(name = "meridian-server", version, about)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port (the real one is printed as
    /// `listening on http://HOST:PORT`).
    #[arg(long, env = "MERIDIAN_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// Database: `sqlite://PATH` (or a plain file path) for embedded SQLite, or
    /// `postgres://USER@HOST:PORT/DB` for PostgreSQL. Migrations run at start-up.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://data/meridian.db")]
    pub database_url: String,

    /// Maximum database connections in the pool.
    #[arg(long, env = "MERIDIAN_DB_POOL_SIZE", default_value_t = 10)]
    pub db_pool_size: usize,

    /// Seconds a request waits for a database connection before failing with 503.
    #[arg(long, env = "MERIDIAN_DB_TIMEOUT", default_value_t = 5)]
    pub db_timeout_secs: u64,

    /// Redis URL (`redis://HOST:PORT`). When set, rate-limit counters live there so several
    /// replicas share one budget; without it they are per process.
    #[arg(long, env = "REDIS_URL")]
    pub redis_url: Option<String>,

    /// Prefix of every Redis key this server writes; replicas that share budgets use the
    /// same prefix.
    #[arg(long, env = "MERIDIAN_REDIS_PREFIX", default_value = "meridian")]
    pub redis_prefix: String,

    /// Rate limits: `on` (seed 003's budgets), `off`, a multiplier such as `x100`, or a divisor
    /// such as `/100` (each budget at least 1).
    #[arg(long, env = "MERIDIAN_RATE_LIMITS", default_value = "on")]
    pub rate_limits: RateLimitMode,

    /// Where verification and password-reset messages go: `log` (print the link) or
    /// `file:<dir>` (one file per message).
    #[arg(long, env = "MERIDIAN_MAILER", default_value = "log")]
    pub mailer: MailerConfig,

    /// Secret that signs JWTs (at least 32 bytes). Without it a development key is generated
    /// and kept in `<data-dir>/jwt-secret`; `--production` requires it.
    #[arg(long, env = "MERIDIAN_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,

    /// Production mode: refuse to start without an explicit JWT secret.
    #[arg(long, env = "MERIDIAN_PRODUCTION")]
    pub production: bool,

    /// Email of the first admin: that account gets the `admin` role at start-up if it exists,
    /// or when it registers. Later admins are appointed through `PATCH /api/admin/users/{id}`.
    #[arg(long, env = "MERIDIAN_BOOTSTRAP_ADMIN")]
    pub bootstrap_admin: Option<String>,

    /// Directory for development state (the generated JWT key).
    #[arg(long, env = "MERIDIAN_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Log format on stderr.
    #[arg(long, env = "MERIDIAN_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty)]
    pub log_format: LogFormat,

    /// Origins allowed by CORS, comma-separated (`*` for any). Empty: no CORS headers.
    #[arg(long, env = "MERIDIAN_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,

    /// Largest request body accepted, in bytes (larger → 413).
    #[arg(long, env = "MERIDIAN_MAX_BODY_BYTES", default_value_t = 65_536)]
    pub max_body_bytes: usize,

    /// Paper-trading fee as a fraction of the amount received (`0.001` = 0.1 %), from 0 to
    /// 0.1, charged on every fill.
    #[arg(long, env = "MERIDIAN_TRADING_FEE", default_value = "0.001", value_parser = parse_fee_rate)]
    pub trading_fee: rust_decimal::Decimal,

    /// Lifetime of user access tokens in seconds (seed 003's 15 minutes by default; short
    /// lifetimes let SDK tests watch a refresh before expiry).
    #[arg(long = "access-token-ttl", env = "MERIDIAN_ACCESS_TOKEN_TTL", default_value_t = 900, value_parser = clap::value_parser!(i64).range(2..=86_400))]
    pub access_token_ttl_secs: i64,

    /// Lifetime of client tokens (OAuth 2.0 client credentials) in seconds (default one hour;
    /// short lifetimes let SDK tests watch a renewal before expiry).
    #[arg(long = "client-token-ttl", env = "MERIDIAN_CLIENT_TOKEN_TTL", default_value_t = 3600, value_parser = clap::value_parser!(i64).range(2..=86_400))]
    pub client_token_ttl_secs: i64,

    /// Seconds in-flight requests get to finish after SIGINT/SIGTERM.
    #[arg(long, env = "MERIDIAN_SHUTDOWN_GRACE", default_value_t = 10)]
    pub shutdown_grace_secs: u64,
}

impl Config {
    /// The configuration of `args` (the program name first): flags win over environment
    /// variables, variables over defaults.
    pub fn from_args<I, T>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        Self::try_parse_from(args)
    }

    /// The database wait timeout.
    pub fn db_timeout(&self) -> Duration {
        Duration::from_secs(self.db_timeout_secs.max(1))
    }
}

/// Parses `--trading-fee`: an exact decimal fraction from 0 to 0.1.
fn parse_fee_rate(text: &str) -> Result<rust_decimal::Decimal, String> {
    let rate: rust_decimal::Decimal = text.parse().map_err(|_| format!("`{text}` is not a decimal"))?;
    if rate.is_sign_negative() || rate > rust_decimal::Decimal::new(1, 1) {
        return Err(format!("`{text}` is outside 0 to 0.1"));
    }
    Ok(rate)
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// Where outgoing messages go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailerConfig {
    /// Print each message (with its link) to the log.
    Log,
    /// Write each message as a file in this directory.
    File(PathBuf),
}

impl std::str::FromStr for MailerConfig {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "log" => Ok(Self::Log),
            _ => match s.strip_prefix("file:") {
                Some(dir) if !dir.is_empty() => Ok(Self::File(dir.into())),
                _ => Err(format!("`{s}` is not `log` or `file:<dir>`")),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_parse_with_documented_defaults() {
        let config = Config::from_args([
            "meridian-server",
            "--bind",
            "127.0.0.1:0",
            "--database-url",
            "sqlite://x.db",
            "--rate-limits",
            "x100",
            "--mailer",
            "file:/tmp/mail",
        ])
        .unwrap();
        assert_eq!(config.bind.port(), 0);
        assert_eq!(config.rate_limits, RateLimitMode::Scaled(100));
        assert_eq!(config.mailer, MailerConfig::File("/tmp/mail".into()));
        assert!(Config::from_args(["meridian-server", "--rate-limits", "sometimes"]).is_err());
        assert!(Config::from_args(["meridian-server", "--mailer", "carrier-pigeon"]).is_err());
        assert_eq!(config.trading_fee.to_string(), "0.001");
        assert!(Config::from_args(["meridian-server", "--trading-fee", "0.5"]).is_err());
        assert!(Config::from_args(["meridian-server", "--trading-fee", "-0.001"]).is_err());
    }
}
