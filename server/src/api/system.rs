//! System group: `GET /api/health` (seed 003's shape).

use std::time::Duration;

use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};

use super::ApiTags;
use super::statuses::Public;
use super::types::Timestamp;
use crate::error::{ApiError, ApiResult};
use crate::http::request_id;
use crate::state::AppState;

/// How long the database probe may take before the database counts as down.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long Redis' `PING` may take: as long as a rate-limit count may (Redis is optional,
/// and a health check should not wait on it longer than a request does).
const REDIS_PROBE_TIMEOUT: Duration = Duration::from_millis(500);

/// Seed 003's health report.
#[derive(Debug, Clone, Object)]
pub struct HealthResponse {
    /// `true` when healthy.
    pub success: bool,
    /// `healthy` when the database answers.
    pub status: HealthStatus,
    /// When the probes ran.
    pub timestamp: Timestamp,
    /// The server's version.
    pub version: String,
    /// One probe per dependency.
    pub services: HealthServices,
    /// The request id.
    pub request_id: String,
}

/// Overall health.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum HealthStatus {
    /// Everything needed to serve requests answers.
    Healthy,
    /// The database is unreachable.
    Degraded,
}

/// A dependency's probe result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum Probe {
    /// It answered.
    Up,
    /// It did not answer in time.
    Down,
}

impl Probe {
    /// The wire text.
    fn as_str(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::Down => "down",
        }
    }
}

/// Redis' probe result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum RedisProbe {
    /// `PING` answered.
    Up,
    /// `PING` failed or timed out.
    Down,
    /// No `REDIS_URL`.
    NotConfigured,
}

/// One probe per dependency.
#[derive(Debug, Clone, Object)]
pub struct HealthServices {
    /// The database answered a query.
    pub database: Probe,
    /// Redis answered `PING`.
    pub redis: RedisProbe,
    /// The market-data feed produced a price.
    pub market_data: Probe,
    /// The credit scorecard is loaded.
    pub credit_model: Probe,
}

/// The system operations.
pub struct SystemApi {
    state: AppState,
}

impl SystemApi {
    /// The system group over `state`.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }

    /// Probes every dependency.
    async fn probe(&self) -> HealthServices {
        let database = match tokio::time::timeout(PROBE_TIMEOUT, self.state.db.ping()).await {
            Ok(Ok(())) => Probe::Up,
            _ => Probe::Down,
        };
        let redis = match &self.state.redis {
            None => RedisProbe::NotConfigured,
            Some(conn) => {
                let mut conn = conn.clone();
                let cmd = redis::cmd("PING");
                let ping = cmd.query_async::<String>(&mut conn);
                match tokio::time::timeout(REDIS_PROBE_TIMEOUT, ping).await {
                    Ok(Ok(_)) => RedisProbe::Up,
                    _ => RedisProbe::Down,
                }
            }
        };
        HealthServices {
            database,
            redis,
            market_data: self.market_probe(),
            credit_model: Self::credit_probe(),
        }
    }

    /// The scorecard reproduces its reference score (an in-process model: this catches a
    /// broken build of its rules, not an outage).
    fn credit_probe() -> Probe {
        if crate::domain::credit::self_check() {
            Probe::Up
        } else {
            Probe::Down
        }
    }

    /// The feed says it can quote and produces a positive price for every symbol now.
    fn market_probe(&self) -> Probe {
        let now = self.state.clock.now_ms();
        let quotes = crate::domain::symbols::Symbol::ALL
            .into_iter()
            .all(|s| self.state.feed.price(s, now) > rust_decimal::Decimal::ZERO);
        if self.state.feed.is_up() && quotes {
            Probe::Up
        } else {
            Probe::Down
        }
    }
}

#[OpenApi(tag = "ApiTags::System")]
impl SystemApi {
    /// Check service health
    ///
    /// Probes the database, Redis, the market feed and the credit model; 503 with
    /// `status: degraded` when the database is unreachable.
    #[oai(path = "/api/health", method = "get", operation_id = "get_health")]
    async fn get_health(&self) -> ApiResult<Json<HealthResponse>, Public> {
        let services = self.probe().await;
        let timestamp = Timestamp::now();
        let version = env!("CARGO_PKG_VERSION").to_string();
        if services.database == Probe::Down {
            let mut extra = serde_json::Map::new();
            extra.insert("status".into(), "degraded".into());
            extra.insert("timestamp".into(), timestamp.to_rfc3339().into());
            extra.insert("version".into(), version.into());
            extra.insert(
                "services".into(),
                serde_json::json!({
                    "database": "down",
                    "redis": match services.redis {
                        RedisProbe::Up => "up",
                        RedisProbe::Down => "down",
                        RedisProbe::NotConfigured => "not_configured",
                    },
                    "market_data": services.market_data.as_str(),
                    "credit_model": services.credit_model.as_str(),
                }),
            );
            return Err(ApiError::ServiceUnavailable {
                message: "The database is unreachable.".into(),
                retry_after: 5,
                extra,
            }
            .into());
        }
        Ok(Json(HealthResponse {
            success: true,
            status: HealthStatus::Healthy,
            timestamp,
            version,
            services,
            request_id: request_id::current(),
        })
        .into())
    }
}
