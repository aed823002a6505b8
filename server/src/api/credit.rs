//! Credit group (seed 003): calculate and read the caller's credit score, and list the credit
//! events the loan flows wrote. The scorecard lives in `domain::credit`, storage in
//! `db::credit`.

use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};

use super::ApiTags;
use super::statuses::{Secured, SecuredBody, SecuredLookup};
use super::types::{
    DecimalNumber, Nullable, OptionalJson, PerPagePagination, Timestamp, True, default_page, default_page_size,
    page_offset, wire_enum,
};
use crate::auth::extract::{ClientCredentials, ClientScope, CreditRead, CreditWrite, ServiceAuth};
use crate::db::credit::{self as store, EventRow, EventType, ScoreRow};
use crate::db::trading::dec;
use crate::domain::credit::{Impact, Part};
use crate::domain::wallet;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Seed 003's calculate-score body (both fields optional; the body too).
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct CalculateCreditScoreRequest {
    /// Ethereum address to record with the score (seed 003's camelCase name).
    #[oai(rename = "walletAddress")]
    pub wallet_address: Option<String>,
    /// Calculate a new score even when one younger than 24 hours exists.
    pub force_recalculation: Option<bool>,
}

/// The rating band of a score (seed 003).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum CreditRating {
    /// 800–850.
    Exceptional,
    /// 740–799.
    #[oai(rename = "Very Good")]
    VeryGood,
    /// 670–739.
    Good,
    /// 580–669.
    Fair,
    /// 300–579.
    Poor,
}

impl CreditRating {
    fn of(text: &str) -> Result<Self, ApiError> {
        Ok(match text {
            "Exceptional" => Self::Exceptional,
            "Very Good" => Self::VeryGood,
            "Good" => Self::Good,
            "Fair" => Self::Fair,
            "Poor" => Self::Poor,
            other => return Err(ApiError::internal(format!("stored rating `{other}`"))),
        })
    }
}

wire_enum!(
    /// Which way something moved (or moves) the score.
    CreditImpact => Impact as "lowercase" {
        /// Raised it.
        Positive = Impact::Positive,
        /// Lowered it.
        Negative = Impact::Negative,
        /// Neither.
        Neutral = Impact::Neutral,
    }
);

wire_enum!(
    /// Kind of credit event.
    CreditEventType => EventType as "snake_case" {
        /// A loan application.
        CreditInquiry = EventType::CreditInquiry,
        /// The applicant cancelled an application.
        LoanApplicationCancelled = EventType::ApplicationCancelled,
        /// Staff rejected an application.
        LoanRejected = EventType::Rejected,
        /// Staff approved an application; the loan was disbursed.
        LoanDisbursed = EventType::Disbursed,
        /// A loan payment.
        LoanPayment = EventType::Payment,
        /// A payment closed the loan.
        LoanPaidOff = EventType::PaidOff,
    }
);

/// The scale of the score; always 300–850.
#[derive(Debug, Clone, Object)]
pub struct CreditScoreRange {
    /// Always 300.
    pub min: i64,
    /// Always 850.
    pub max: i64,
}

/// One factor that moved the score (seed 003).
#[derive(Debug, Clone, Object)]
pub struct CreditScoreFactor {
    /// Short name of the factor.
    pub factor: String,
    /// Whether it raised or lowered the score.
    pub impact: CreditImpact,
    /// What the factor is based on.
    pub description: String,
}

/// One weighted part of the scorecard.
#[derive(Debug, Clone, Object)]
pub struct CreditScoreComponent {
    /// The part's weight in percent.
    pub weight: i64,
    /// Points this part adds above 300.
    pub points: DecimalNumber,
    /// The most this part can add.
    pub max_points: DecimalNumber,
}

/// The scorecard, part by part.
#[derive(Debug, Clone, Object)]
pub struct CreditScoreComponents {
    /// Loan payments on time versus late (35).
    pub payment_history: CreditScoreComponent,
    /// Outstanding principal against approved amounts (30).
    pub amounts_owed: CreditScoreComponent,
    /// Age of the account (15).
    pub length_of_history: CreditScoreComponent,
    /// Recent loan applications (10).
    pub new_credit: CreditScoreComponent,
    /// Loan types held and trading activity (10).
    pub credit_mix: CreditScoreComponent,
}

/// A credit score (seed 003's fields plus `components`, `reused` and `wallet_address`).
#[derive(Debug, Clone, Object)]
pub struct CreditScore {
    /// Opaque id of this calculation.
    pub credit_score_id: String,
    /// The score.
    pub score: i64,
    /// Always 300–850.
    pub score_range: CreditScoreRange,
    /// The band the score falls in.
    pub rating: CreditRating,
    /// When this score was calculated.
    pub calculated_at: Timestamp,
    /// Scorecard version.
    pub model_version: String,
    /// The factors that moved the score, most influential first.
    pub factors: Vec<CreditScoreFactor>,
    /// What would raise the score.
    pub recommendations: Vec<String>,
    /// The part-by-part breakdown.
    #[oai(skip_serializing_if_is_none)]
    pub components: Option<CreditScoreComponents>,
    /// Whether an earlier score was returned.
    #[oai(skip_serializing_if_is_none)]
    pub reused: Option<bool>,
    /// The address the score was calculated for.
    #[oai(skip_serializing_if_is_none)]
    pub wallet_address: Option<Nullable<String>>,
}

/// Seed 003's envelope around a credit score.
#[derive(Debug, Clone, Object)]
pub struct CreditScoreResponse {
    /// Always `true`.
    pub success: True,
    /// The score.
    pub data: CreditScore,
}

/// One credit event (seed 003's fields plus `loan_id`).
#[derive(Debug, Clone, Object)]
pub struct CreditHistoryEvent {
    /// Opaque event id.
    pub id: String,
    /// What happened.
    pub event_type: CreditEventType,
    /// When.
    pub event_date: Timestamp,
    /// The money involved.
    #[oai(skip_serializing_if_is_none)]
    pub amount: Option<DecimalNumber>,
    /// How the event weighs on the score.
    pub impact: CreditImpact,
    /// The event in words.
    pub description: String,
    /// The loan concerned.
    #[oai(skip_serializing_if_is_none)]
    pub loan_id: Option<String>,
}

/// One page of credit events.
#[derive(Debug, Clone, Object)]
pub struct CreditHistoryPage {
    /// The events, newest first.
    pub history: Vec<CreditHistoryEvent>,
    /// Where this page is.
    pub pagination: PerPagePagination,
}

/// Seed 003's envelope around a page of credit history.
#[derive(Debug, Clone, Object)]
pub struct CreditHistoryResponse {
    /// Always `true`.
    pub success: True,
    /// The page.
    pub data: CreditHistoryPage,
}

/// A factor as `db::credit::score_row` stores it.
#[derive(serde::Deserialize)]
struct StoredFactor {
    factor: String,
    impact: String,
    description: String,
}

fn stored<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, ApiError> {
    serde_json::from_str(text).map_err(|e| ApiError::internal(format!("stored score JSON: {e}")))
}

impl CreditScore {
    /// The wire form of a stored score (`reused`: whether it was returned instead of calculated).
    pub fn of(row: &ScoreRow, reused: bool) -> Result<Self, ApiError> {
        let points: Vec<(String, String)> = stored(&row.components)?;
        let component = |part: Part| -> Result<CreditScoreComponent, ApiError> {
            let (_, text) = points
                .iter()
                .find(|(name, _)| name == part.as_str())
                .ok_or_else(|| ApiError::internal(format!("stored score lacks {}", part.as_str())))?;
            Ok(CreditScoreComponent {
                weight: i64::from(part.weight()),
                points: DecimalNumber(dec(text)?),
                max_points: DecimalNumber(part.max_points()),
            })
        };
        Ok(Self {
            credit_score_id: row.id.clone(),
            score: row.score,
            score_range: CreditScoreRange { min: 300, max: 850 },
            rating: CreditRating::of(&row.rating)?,
            calculated_at: Timestamp::from_naive(row.calculated_at),
            model_version: row.model_version.clone(),
            factors: stored::<Vec<StoredFactor>>(&row.factors)?
                .into_iter()
                .map(|f| {
                    Ok(CreditScoreFactor {
                        impact: f.impact.parse::<Impact>().map_err(ApiError::internal)?.into(),
                        factor: f.factor,
                        description: f.description,
                    })
                })
                .collect::<Result<_, ApiError>>()?,
            recommendations: stored(&row.recommendations)?,
            components: Some(CreditScoreComponents {
                payment_history: component(Part::PaymentHistory)?,
                amounts_owed: component(Part::AmountsOwed)?,
                length_of_history: component(Part::LengthOfHistory)?,
                new_credit: component(Part::NewCredit)?,
                credit_mix: component(Part::CreditMix)?,
            }),
            reused: Some(reused),
            wallet_address: Some(Nullable(row.wallet_address.clone())),
        })
    }
}

impl CreditHistoryEvent {
    fn of(row: &EventRow) -> Result<Self, ApiError> {
        Ok(Self {
            id: row.id.clone(),
            event_type: parse_event_type(&row.event_type)?,
            event_date: Timestamp::from_naive(row.event_date),
            amount: row.amount.as_deref().map(dec).transpose()?.map(DecimalNumber),
            impact: row.impact.parse::<Impact>().map_err(ApiError::internal)?.into(),
            description: row.description.clone(),
            loan_id: row.loan_id.clone(),
        })
    }
}

fn parse_event_type(text: &str) -> Result<CreditEventType, ApiError> {
    text.parse::<EventType>().map(Into::into).map_err(ApiError::internal)
}

/// The credit operations.
pub struct CreditApi {
    state: AppState,
}

impl CreditApi {
    /// The credit operations over `state`.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[OpenApi(tag = "ApiTags::Credit")]
impl CreditApi {
    /// Calculate the credit score
    #[oai(
        path = "/api/credit/calculate-score",
        method = "post",
        operation_id = "calculate_credit_score"
    )]
    async fn calculate_credit_score(
        &self,
        auth: ServiceAuth<CreditWrite>,
        #[oai(scope = "ClientScope::CreditWrite")] _client: ClientCredentials,
        body: OptionalJson<CalculateCreditScoreRequest>,
    ) -> ApiResult<Json<CreditScoreResponse>, SecuredBody> {
        let body = body.0.unwrap_or(CalculateCreditScoreRequest {
            wallet_address: None,
            force_recalculation: None,
        });
        let user = &auth.0.user;
        let wallet = match &body.wallet_address {
            Some(address) => Some(wallet::parse(address).map_err(|e| ApiError::field("walletAddress", e.to_string()))?),
            None => user.wallet_address.clone(),
        };
        let now = self.state.clock.now().naive_utc();
        let mut conn = self.state.db.conn().await?;
        let force = body.force_recalculation.unwrap_or(false);
        let (row, reused) = store::current_score(&mut conn, &user.id, user.created_at, wallet, force, now).await?;
        Ok(Json(CreditScoreResponse {
            success: True,
            data: CreditScore::of(&row, reused)?,
        })
        .into())
    }

    /// List credit history events
    #[oai(path = "/api/credit/history", method = "get", operation_id = "list_credit_history")]
    async fn list_credit_history(
        &self,
        auth: ServiceAuth<CreditRead>,
        #[oai(scope = "ClientScope::CreditRead")] _client: ClientCredentials,
        #[oai(default = "default_page", validator(minimum(value = "1")))] page: Query<i64>,
        #[oai(
            default = "default_page_size",
            validator(minimum(value = "1"), maximum(value = "100"))
        )]
        per_page: Query<i64>,
    ) -> ApiResult<Json<CreditHistoryResponse>, Secured> {
        let mut conn = self.state.db.conn().await?;
        let offset = page_offset(page.0, per_page.0);
        let (rows, total) = store::list_events(&mut conn, &auth.0.user.id, per_page.0, offset).await?;
        Ok(Json(CreditHistoryResponse {
            success: True,
            data: CreditHistoryPage {
                history: rows.iter().map(CreditHistoryEvent::of).collect::<Result<_, _>>()?,
                pagination: PerPagePagination::of(page.0, per_page.0, total),
            },
        })
        .into())
    }

    /// Get the latest credit score
    #[oai(path = "/api/credit/score", method = "get", operation_id = "get_credit_score")]
    async fn get_credit_score(
        &self,
        auth: ServiceAuth<CreditRead>,
        #[oai(scope = "ClientScope::CreditRead")] _client: ClientCredentials,
    ) -> ApiResult<Json<CreditScoreResponse>, SecuredLookup> {
        let mut conn = self.state.db.conn().await?;
        let row = store::latest_score(&mut conn, &auth.0.user.id).await?.ok_or_else(|| {
            ApiError::NotFound("No credit score yet: calculate one with POST /api/credit/calculate-score.".into())
        })?;
        Ok(Json(CreditScoreResponse {
            success: True,
            data: CreditScore::of(&row, true)?,
        })
        .into())
    }
}
