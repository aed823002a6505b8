//! Loans group (seed 003): the calculator, applications, the caller's loans and their
//! schedules, payments, and staff decisions. Handlers parse, call the store and shape the
//! bodies; the rules live in `domain::loans`, the transactions in `db::loans`.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};
use rust_decimal::Decimal;
use serde_json::Value;

use super::ApiTags;
use super::auth::Created;
use super::statuses::{Secured, SecuredBody, SecuredConflict, SecuredLookup, SecuredLookupConflict, SecuredState};
use super::types::{
    CalendarDate, DecimalInput, DecimalNumber, Nullable, OptionalJson, PerPagePagination, SentNullable, Timestamp,
    True, default_page, default_page_size, from_stored, page_offset, to_stored, wire_enum,
};
use crate::auth::extract::{ClientCredentials, ClientScope, LoansRead, LoansWrite, ServiceAuth, UserAuth};
use crate::auth::require_role;
use crate::db::credit as scores;
use crate::db::loans::{
    self as store, Decision, Idempotency, LoanError, LoanRecord, NewApplication, Outcome, PaymentRow,
};
use crate::db::trading::dec;
use crate::db::users::UserRow;
use crate::domain::loans::{self as rules, FieldError, InstallmentStatus, LoanStatus, LoanType};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The decision time the seed promises applicants.
const ESTIMATED_RESPONSE_TIME: &str = "24-48 hours";

wire_enum!(
    /// Kind of loan (seed 003).
    LoanTypeName => LoanType as "lowercase" {
        /// Personal unsecured loan.
        Personal = LoanType::Personal,
        /// Home purchase loan.
        Mortgage = LoanType::Mortgage,
        /// Vehicle purchase loan.
        Auto = LoanType::Auto,
        /// Business loan.
        Business = LoanType::Business,
    }
);

wire_enum!(
    /// Where the loan is in its lifecycle.
    LoanStatusName => LoanStatus as "snake_case" {
        /// Awaiting a decision.
        Submitted = LoanStatus::Submitted,
        /// Approved and disbursed.
        Approved = LoanStatus::Approved,
        /// Rejected by staff.
        Rejected = LoanStatus::Rejected,
        /// Withdrawn by the applicant.
        Cancelled = LoanStatus::Cancelled,
        /// Being repaid.
        Active = LoanStatus::Active,
        /// Repaid.
        PaidOff = LoanStatus::PaidOff,
    }
);

wire_enum!(
    /// An installment's state.
    InstallmentStatusName => InstallmentStatus as "lowercase" {
        /// Fully paid.
        Paid = InstallmentStatus::Paid,
        /// The current installment, not yet late.
        Due = InstallmentStatus::Due,
        /// Later, not yet due.
        Upcoming = InstallmentStatus::Upcoming,
        /// Not fully paid and past its due date.
        Late = InstallmentStatus::Late,
    }
);

/// A staff decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum LoanDecision {
    /// Approve and disburse.
    Approve,
    /// Reject.
    Reject,
}

/// Seed 003's loan application.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct LoanApplicationRequest {
    /// Kind of loan.
    pub loan_type: LoanTypeName,
    /// Amount requested.
    pub requested_amount: DecimalInput,
    /// Term in months.
    pub requested_term_months: i64,
    /// Desired annual rate in percent.
    pub requested_rate: Option<DecimalInput>,
    /// Free-form information for the staff.
    pub application_data: Option<BTreeMap<String, Value>>,
}

/// A loan application and, once approved, the loan.
#[derive(Debug, Clone, Object)]
pub struct Loan {
    /// Opaque id.
    pub id: String,
    /// The applicant.
    #[oai(skip_serializing_if_is_none)]
    pub user_id: Option<String>,
    /// `LA-<year>-<6 digits>`.
    pub application_number: String,
    /// Lifecycle status.
    pub status: LoanStatusName,
    /// Kind of loan.
    pub loan_type: LoanTypeName,
    /// Amount asked for.
    pub requested_amount: DecimalNumber,
    /// Term asked for.
    pub requested_term_months: i64,
    /// Rate asked for, or `null`.
    pub requested_rate: Nullable<DecimalNumber>,
    /// Score when applying.
    pub credit_score_at_application: i64,
    /// Approval estimate in percent.
    pub approval_probability: DecimalNumber,
    /// When submitted.
    pub submitted_at: Timestamp,
    /// When to expect a decision.
    pub estimated_response_time: String,
    /// The application's free-form data.
    pub application_data: SentNullable<BTreeMap<String, Value>>,
    /// Principal approved.
    pub approved_amount: SentNullable<DecimalNumber>,
    /// Rate approved.
    pub approved_rate: SentNullable<DecimalNumber>,
    /// Term of the approved loan.
    pub term_months: SentNullable<i64>,
    /// Regular installment.
    pub monthly_payment: SentNullable<DecimalNumber>,
    /// Principal still owed.
    pub outstanding_principal: SentNullable<DecimalNumber>,
    /// Sum of the payments.
    pub total_paid: SentNullable<DecimalNumber>,
    /// What closes the loan now.
    pub payoff_amount: SentNullable<DecimalNumber>,
    /// Due date of the current installment.
    pub next_payment_due: SentNullable<CalendarDate>,
    /// Staff's reason.
    pub decision_reason: SentNullable<String>,
    /// When decided.
    pub decided_at: SentNullable<Timestamp>,
    /// When disbursed.
    pub disbursed_at: SentNullable<Timestamp>,
    /// When cancelled.
    pub cancelled_at: SentNullable<Timestamp>,
    /// When paid off.
    pub paid_off_at: SentNullable<Timestamp>,
}

/// Envelope around one loan.
#[derive(Debug, Clone, Object)]
pub struct LoanResponse {
    /// Always `true`.
    pub success: True,
    /// The loan.
    pub data: Loan,
}

/// Envelope around the loan an action created or changed.
#[derive(Debug, Clone, Object)]
pub struct LoanActionResponse {
    /// Always `true`.
    pub success: True,
    /// What was done.
    pub message: String,
    /// The loan.
    pub data: Loan,
}

/// One page of loans.
#[derive(Debug, Clone, Object)]
pub struct LoanList {
    /// The loans, newest first.
    pub loans: Vec<Loan>,
    /// Where this page is.
    pub pagination: PerPagePagination,
}

/// Envelope around one page of loans.
#[derive(Debug, Clone, Object)]
pub struct LoanListResponse {
    /// Always `true`.
    pub success: True,
    /// The page.
    pub data: LoanList,
}

/// Seed 003's calculator input.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct LoanCalculationRequest {
    /// Loan amount; default 1000.
    pub amount: Option<DecimalInput>,
    /// Annual rate in percent; default 5.0.
    pub rate: Option<DecimalInput>,
    /// Term in months; default 36.
    pub term_months: Option<i64>,
}

/// Loan terms computed by the calculator.
#[derive(Debug, Clone, Object)]
pub struct LoanCalculation {
    /// The amount used.
    pub loan_amount: DecimalNumber,
    /// The annual rate used.
    pub interest_rate: DecimalNumber,
    /// The term used.
    pub term_months: i64,
    /// Monthly payment.
    pub monthly_payment: DecimalNumber,
    /// `monthly_payment × term_months`.
    pub total_payment: DecimalNumber,
    /// `total_payment − loan_amount`.
    pub total_interest: DecimalNumber,
    /// Approval estimate, or `null` without a score.
    pub approval_probability: Nullable<DecimalNumber>,
    /// The caller's latest score, or `null`.
    pub credit_score: Nullable<i64>,
}

/// Envelope around a loan calculation.
#[derive(Debug, Clone, Object)]
pub struct LoanCalculationResponse {
    /// Always `true`.
    pub success: True,
    /// The calculation.
    pub data: LoanCalculation,
}

/// One installment of a schedule.
#[derive(Debug, Clone, Object)]
pub struct LoanInstallment {
    /// Position, from 1.
    pub number: i64,
    /// Due date.
    pub due_date: CalendarDate,
    /// Amount of the installment.
    pub payment: DecimalNumber,
    /// Principal part.
    pub principal: DecimalNumber,
    /// Interest part.
    pub interest: DecimalNumber,
    /// Principal outstanding once paid.
    pub remaining_balance: DecimalNumber,
    /// Paid so far.
    pub paid_amount: DecimalNumber,
    /// State.
    pub status: InstallmentStatusName,
}

/// A repayment schedule.
#[derive(Debug, Clone, Object)]
pub struct LoanSchedule {
    /// The loan.
    pub loan_id: String,
    /// Approved principal.
    pub principal: DecimalNumber,
    /// Approved annual rate.
    pub annual_rate: DecimalNumber,
    /// Contractual term.
    pub term_months: i64,
    /// Regular installment.
    pub monthly_payment: DecimalNumber,
    /// Sum of the installments.
    pub total_payment: DecimalNumber,
    /// Sum of their interest.
    pub total_interest: DecimalNumber,
    /// The installments in order.
    pub installments: Vec<LoanInstallment>,
}

/// Envelope around a schedule.
#[derive(Debug, Clone, Object)]
pub struct LoanScheduleResponse {
    /// Always `true`.
    pub success: True,
    /// The schedule.
    pub data: LoanSchedule,
}

/// A loan payment.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct LoanPaymentRequest {
    /// Amount to pay.
    pub amount: DecimalInput,
}

/// One payment made on a loan.
#[derive(Debug, Clone, Object)]
pub struct LoanPayment {
    /// Opaque id.
    pub id: String,
    /// The loan paid.
    pub loan_id: String,
    /// Amount paid.
    pub amount: DecimalNumber,
    /// Part that repaid principal.
    pub principal_portion: DecimalNumber,
    /// Part that paid interest.
    pub interest_portion: DecimalNumber,
    /// When.
    pub paid_at: Timestamp,
    /// Made on time.
    pub on_time: bool,
}

/// The payment and the loan after it.
#[derive(Debug, Clone, Object)]
pub struct LoanPaymentResult {
    /// The payment.
    pub payment: LoanPayment,
    /// The loan.
    pub loan: Loan,
}

/// Envelope around a recorded payment.
#[derive(Debug, Clone, Object)]
pub struct LoanPaymentResponse {
    /// Always `true`.
    pub success: True,
    /// What was done.
    pub message: String,
    /// The payment and the loan.
    pub data: LoanPaymentResult,
}

/// A staff decision.
#[derive(Debug, Clone, Object)]
#[oai(deny_unknown_fields)]
pub struct LoanDecisionRequest {
    /// Approve or reject.
    pub decision: LoanDecision,
    /// Principal to approve.
    pub approved_amount: Option<DecimalInput>,
    /// Annual rate to approve.
    pub approved_rate: Option<DecimalInput>,
    /// Why.
    pub reason: Option<String>,
}

fn number(text: &str) -> Result<DecimalNumber, ApiError> {
    Ok(DecimalNumber(dec(text)?))
}

fn optional_number(text: &Option<String>) -> Result<SentNullable<DecimalNumber>, ApiError> {
    Ok(Nullable(text.as_deref().map(number).transpose()?))
}

fn timestamp(t: Option<NaiveDateTime>) -> SentNullable<Timestamp> {
    Nullable(t.map(Timestamp::from_naive))
}

impl Loan {
    /// The wire form of a loan as of `now` (payoff and next due date depend on the day).
    fn of(record: &LoanRecord, now: NaiveDateTime) -> Result<Self, ApiError> {
        let row = &record.loan;
        let status = row.status()?;
        let repaying = record.ledger.as_ref().filter(|_| status.is_repayable());
        let application_data = row
            .application_data
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| ApiError::internal(format!("stored application_data: {e}")))?;
        Ok(Self {
            id: row.id.clone(),
            user_id: Some(row.user_id.clone()),
            application_number: row.application_number.clone(),
            status: status.into(),
            loan_type: row.loan_type()?.into(),
            requested_amount: number(&row.requested_amount)?,
            requested_term_months: row.requested_term_months,
            requested_rate: Nullable(row.requested_rate.as_deref().map(number).transpose()?),
            credit_score_at_application: row.credit_score_at_application,
            approval_probability: number(&row.approval_probability)?,
            submitted_at: Timestamp::from_naive(row.submitted_at),
            estimated_response_time: ESTIMATED_RESPONSE_TIME.into(),
            application_data: Nullable(application_data),
            approved_amount: optional_number(&row.approved_amount)?,
            approved_rate: optional_number(&row.approved_rate)?,
            term_months: Nullable(row.term_months),
            monthly_payment: optional_number(&row.monthly_payment)?,
            outstanding_principal: optional_number(&row.outstanding_principal)?,
            total_paid: optional_number(&row.total_paid)?,
            payoff_amount: Nullable(repaying.map(|l| DecimalNumber(l.payoff_amount(now.date())))),
            next_payment_due: Nullable(repaying.and_then(|l| l.next_payment_due()).map(CalendarDate)),
            decision_reason: Nullable(row.decision_reason.clone()),
            decided_at: timestamp(row.decided_at),
            disbursed_at: timestamp(row.disbursed_at),
            cancelled_at: timestamp(row.cancelled_at),
            paid_off_at: timestamp(row.paid_off_at),
        })
    }
}

impl LoanPayment {
    fn of(row: &PaymentRow) -> Result<Self, ApiError> {
        Ok(Self {
            id: row.id.clone(),
            loan_id: row.loan_id.clone(),
            amount: number(&row.amount)?,
            principal_portion: number(&row.principal_portion)?,
            interest_portion: number(&row.interest_portion)?,
            paid_at: Timestamp::from_naive(row.paid_at),
            on_time: row.on_time,
        })
    }
}

fn field(error: FieldError) -> ApiError {
    ApiError::field(error.field, error.message)
}

/// The API error of a refused loan change.
fn loan_error(error: LoanError) -> ApiError {
    match error {
        LoanError::NotFound => ApiError::NotFound("No loan of yours has this id.".into()),
        LoanError::Status(status, rule) => ApiError::Conflict(format!("{rule}; this one is {}.", status.as_str())),
        LoanError::OwnApplication => ApiError::Forbidden("Staff cannot decide their own loan application.".into()),
        LoanError::Reused => {
            ApiError::Conflict("This Idempotency-Key was already used for a different request.".into())
        }
        LoanError::Invalid(error) => field(error),
        LoanError::Db(error) => error.into(),
    }
}

/// The canonical hash of a request: retries must repeat it, in any key order.
fn request_hash(parts: Value) -> String {
    crate::auth::secret::digest(&canonical(parts).to_string())
}

/// `value` with the keys of every object, at any depth, in sorted order.
fn canonical(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let sorted: BTreeMap<String, Value> = map.into_iter().map(|(k, v)| (k, canonical(v))).collect();
            Value::Object(sorted.into_iter().collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(canonical).collect()),
        other => other,
    }
}

fn idempotency(key: Option<String>, hash: String) -> Option<Idempotency> {
    key.map(|key| Idempotency {
        key,
        request_hash: hash,
    })
}

fn decimal_text(d: Option<DecimalInput>) -> Option<String> {
    d.map(|d| d.0.normalize().to_string())
}

/// The loans operations.
pub struct LoansApi {
    state: AppState,
}

impl LoansApi {
    /// The loans operations over `state`.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }

    fn now(&self) -> NaiveDateTime {
        self.state.clock.now().naive_utc()
    }

    /// The caller's current score (reused when younger than 24 hours, else calculated).
    async fn current_score(&self, user: &UserRow, now: NaiveDateTime) -> Result<i64, ApiError> {
        let mut conn = self.state.db.conn().await?;
        let (row, _) = scores::current_score(
            &mut conn,
            &user.id,
            user.created_at,
            user.wallet_address.clone(),
            false,
            now,
        )
        .await?;
        Ok(row.score)
    }
}

#[OpenApi(tag = "ApiTags::Loans")]
impl LoansApi {
    /// Apply for a loan
    #[oai(path = "/api/loans/apply", method = "post", operation_id = "apply_for_loan")]
    async fn apply_for_loan(
        &self,
        auth: ServiceAuth<LoansWrite>,
        #[oai(scope = "ClientScope::LoansWrite")] _client: ClientCredentials,
        #[oai(
            name = "Idempotency-Key",
            validator(min_length = 1, max_length = 128, pattern = r"^[A-Za-z0-9._:-]+$")
        )]
        idempotency_key: Header<Option<String>>,
        body: Json<LoanApplicationRequest>,
    ) -> ApiResult<Created<LoanActionResponse>, SecuredConflict> {
        let body = body.0;
        let loan_type = LoanType::from(body.loan_type);
        let amount = body.requested_amount.0;
        let rate = body.requested_rate.map(|r| r.0);
        rules::check_application(loan_type, amount, body.requested_term_months, rate).map_err(field)?;
        let term = u32::try_from(body.requested_term_months).unwrap_or(u32::MAX);
        let data = body
            .application_data
            .as_ref()
            .map(|d| serde_json::to_string(d).map_err(ApiError::internal))
            .transpose()?;
        let hash = request_hash(serde_json::json!([
            loan_type.as_str(),
            amount.normalize().to_string(),
            body.requested_term_months,
            decimal_text(body.requested_rate),
            body.application_data,
        ]));
        let user = &auth.0.user;
        let now = self.now();
        let score = self.current_score(user, now).await?;
        let application = NewApplication {
            loan_type,
            requested_amount: amount,
            requested_term_months: body.requested_term_months,
            requested_rate: rate,
            application_data: data,
            credit_score: score,
            approval_probability: rules::approval_probability(score, amount, term),
        };
        let respond = |record: &LoanRecord| submitted(record, now).map(|b| to_stored(&b)).map_err(|e| e.to_string());
        let mut conn = self.state.db.conn().await?;
        let outcome = store::apply(
            &mut conn,
            &user.id,
            &application,
            idempotency(idempotency_key.0, hash).as_ref(),
            now,
            &respond,
        )
        .await
        .map_err(loan_error)?;
        let response = match outcome {
            Outcome::New(record) => submitted(&record, now)?,
            Outcome::Replay(stored) => from_stored(&stored)?,
        };
        Ok(Created::Created(Json(response)).into())
    }

    /// Calculate loan terms
    #[oai(path = "/api/loans/calculate", method = "post", operation_id = "calculate_loan")]
    async fn calculate_loan(
        &self,
        auth: ServiceAuth<LoansRead>,
        #[oai(scope = "ClientScope::LoansRead")] _client: ClientCredentials,
        body: OptionalJson<LoanCalculationRequest>,
    ) -> ApiResult<Json<LoanCalculationResponse>, SecuredBody> {
        let (amount, rate, term) = match body.0 {
            Some(b) => (b.amount.map(|a| a.0), b.rate.map(|r| r.0), b.term_months),
            None => (None, None, None),
        };
        let amount = amount.unwrap_or(Decimal::ONE_THOUSAND);
        let rate = rate.unwrap_or(Decimal::new(50, 1));
        let term = term.unwrap_or(36);
        rules::check_calculation(amount, rate, term).map_err(field)?;
        let term = u32::try_from(term).unwrap_or(u32::MAX);
        let figures = rules::calculate(amount, rate, term);
        let mut conn = self.state.db.conn().await?;
        let score = scores::latest_score(&mut conn, &auth.0.user.id).await?.map(|s| s.score);
        Ok(Json(LoanCalculationResponse {
            success: True,
            data: LoanCalculation {
                loan_amount: DecimalNumber(amount),
                interest_rate: DecimalNumber(rate),
                term_months: i64::from(term),
                monthly_payment: DecimalNumber(figures.monthly_payment),
                total_payment: DecimalNumber(figures.total_payment),
                total_interest: DecimalNumber(figures.total_interest),
                approval_probability: Nullable(
                    score.map(|s| DecimalNumber(rules::approval_probability(s, amount, term))),
                ),
                credit_score: Nullable(score),
            },
        })
        .into())
    }

    /// List your loans
    #[oai(path = "/api/loans", method = "get", operation_id = "list_loans")]
    async fn list_loans(
        &self,
        auth: ServiceAuth<LoansRead>,
        #[oai(scope = "ClientScope::LoansRead")] _client: ClientCredentials,
        status: Query<Option<LoanStatusName>>,
        #[oai(default = "default_page", validator(minimum(value = "1")))] page: Query<i64>,
        #[oai(
            default = "default_page_size",
            validator(minimum(value = "1"), maximum(value = "100"))
        )]
        per_page: Query<i64>,
    ) -> ApiResult<Json<LoanListResponse>, Secured> {
        let now = self.now();
        let mut conn = self.state.db.conn().await?;
        let offset = page_offset(page.0, per_page.0);
        let (records, total) =
            store::list(&mut conn, &auth.0.user.id, status.0.map(Into::into), per_page.0, offset).await?;
        Ok(Json(LoanListResponse {
            success: True,
            data: LoanList {
                loans: records.iter().map(|r| Loan::of(r, now)).collect::<Result<_, _>>()?,
                pagination: PerPagePagination::of(page.0, per_page.0, total),
            },
        })
        .into())
    }

    /// Get a loan
    #[oai(path = "/api/loans/:id", method = "get", operation_id = "get_loan")]
    async fn get_loan(
        &self,
        auth: ServiceAuth<LoansRead>,
        #[oai(scope = "ClientScope::LoansRead")] _client: ClientCredentials,
        #[oai(validator(min_length = 1, max_length = 64))] id: Path<String>,
    ) -> ApiResult<Json<LoanResponse>, SecuredLookup> {
        let mut conn = self.state.db.conn().await?;
        let record = store::find(&mut conn, &auth.0.user.id, &id.0)
            .await
            .map_err(|e| loan_error(e.into()))?;
        Ok(Json(LoanResponse {
            success: True,
            data: Loan::of(&record, self.now())?,
        })
        .into())
    }

    /// Cancel a loan application
    #[oai(path = "/api/loans/:id/cancel", method = "post", operation_id = "cancel_loan")]
    async fn cancel_loan(
        &self,
        auth: ServiceAuth<LoansWrite>,
        #[oai(scope = "ClientScope::LoansWrite")] _client: ClientCredentials,
        #[oai(validator(min_length = 1, max_length = 64))] id: Path<String>,
    ) -> ApiResult<Json<LoanActionResponse>, SecuredState> {
        let now = self.now();
        let mut conn = self.state.db.conn().await?;
        let record = store::cancel(&mut conn, &auth.0.user.id, &id.0, now)
            .await
            .map_err(loan_error)?;
        Ok(Json(LoanActionResponse {
            success: True,
            message: "Loan application cancelled".into(),
            data: Loan::of(&record, now)?,
        })
        .into())
    }

    /// Get a loan's repayment schedule
    #[oai(path = "/api/loans/:id/schedule", method = "get", operation_id = "get_loan_schedule")]
    async fn get_loan_schedule(
        &self,
        auth: ServiceAuth<LoansRead>,
        #[oai(scope = "ClientScope::LoansRead")] _client: ClientCredentials,
        #[oai(validator(min_length = 1, max_length = 64))] id: Path<String>,
    ) -> ApiResult<Json<LoanScheduleResponse>, SecuredState> {
        let mut conn = self.state.db.conn().await?;
        const RULE: &str = "Approved, active and paid-off loans have a repayment schedule";
        let record = store::find(&mut conn, &auth.0.user.id, &id.0)
            .await
            .map_err(|e| loan_error(e.into()))?;
        let status = record.loan.status()?;
        let Some(ledger) = record.ledger.as_ref().filter(|_| status.has_schedule()) else {
            return Err(loan_error(LoanError::Status(status, RULE)).into());
        };
        let installments = ledger.schedule(self.now().date());
        let terms = ledger.terms();
        let total_payment: Decimal = installments.iter().map(|i| i.payment).sum();
        let total_interest: Decimal = installments.iter().map(|i| i.interest).sum();
        Ok(Json(LoanScheduleResponse {
            success: True,
            data: LoanSchedule {
                loan_id: record.loan.id.clone(),
                principal: DecimalNumber(terms.principal),
                annual_rate: DecimalNumber(terms.annual_rate),
                term_months: i64::from(terms.term_months),
                monthly_payment: DecimalNumber(terms.monthly_payment),
                total_payment: DecimalNumber(total_payment),
                total_interest: DecimalNumber(total_interest),
                installments: installments
                    .into_iter()
                    .map(|i| LoanInstallment {
                        number: i64::from(i.number),
                        due_date: CalendarDate(i.due_date),
                        payment: DecimalNumber(i.payment),
                        principal: DecimalNumber(i.principal),
                        interest: DecimalNumber(i.interest),
                        remaining_balance: DecimalNumber(i.remaining_balance),
                        paid_amount: DecimalNumber(i.paid_amount),
                        status: i.status.into(),
                    })
                    .collect(),
            },
        })
        .into())
    }

    /// Make a loan payment
    #[oai(
        path = "/api/loans/:id/payments",
        method = "post",
        operation_id = "make_loan_payment"
    )]
    async fn make_loan_payment(
        &self,
        auth: ServiceAuth<LoansWrite>,
        #[oai(scope = "ClientScope::LoansWrite")] _client: ClientCredentials,
        #[oai(validator(min_length = 1, max_length = 64))] id: Path<String>,
        #[oai(
            name = "Idempotency-Key",
            validator(min_length = 1, max_length = 128, pattern = r"^[A-Za-z0-9._:-]+$")
        )]
        idempotency_key: Header<Option<String>>,
        body: Json<LoanPaymentRequest>,
    ) -> ApiResult<Created<LoanPaymentResponse>, SecuredLookupConflict> {
        let amount = body.0.amount.0;
        let hash = request_hash(serde_json::json!([id.0, amount.normalize().to_string()]));
        let now = self.now();
        let respond = |payment: &PaymentRow, record: &LoanRecord| {
            paid(payment, record, now)
                .map(|b| to_stored(&b))
                .map_err(|e| e.to_string())
        };
        let mut conn = self.state.db.conn().await?;
        let outcome = store::pay(
            &mut conn,
            &auth.0.user.id,
            &id.0,
            amount,
            idempotency(idempotency_key.0, hash).as_ref(),
            now,
            &respond,
        )
        .await
        .map_err(loan_error)?;
        let response = match outcome {
            Outcome::New((payment, record)) => paid(&payment, &record, now)?,
            Outcome::Replay(stored) => from_stored(&stored)?,
        };
        Ok(Created::Created(Json(response)).into())
    }

    /// Approve or reject a loan application
    #[oai(
        path = "/api/admin/loans/:id/decision",
        method = "post",
        operation_id = "admin_decide_loan"
    )]
    async fn admin_decide_loan(
        &self,
        auth: UserAuth,
        #[oai(validator(min_length = 1, max_length = 64))] id: Path<String>,
        body: Json<LoanDecisionRequest>,
    ) -> ApiResult<Json<LoanActionResponse>, SecuredLookupConflict> {
        require_role(&auth.0, "staff")?;
        let body = body.0;
        let decision = match body.decision {
            LoanDecision::Approve => Decision::Approve {
                amount: body.approved_amount.map(|a| a.0),
                rate: body.approved_rate.map(|r| r.0),
            },
            LoanDecision::Reject => {
                for (name, value) in [
                    ("approved_amount", &body.approved_amount),
                    ("approved_rate", &body.approved_rate),
                ] {
                    if value.is_some() {
                        return Err(
                            ApiError::field(name, format!("{name} is only allowed with decision approve")).into(),
                        );
                    }
                }
                Decision::Reject
            }
        };
        let now = self.now();
        let mut conn = self.state.db.conn().await?;
        let record = store::decide(
            &mut conn,
            &auth.0.user.id,
            &id.0,
            &decision,
            body.reason.as_deref(),
            now,
        )
        .await
        .map_err(|e| match e {
            LoanError::NotFound => ApiError::NotFound("No loan application has this id.".into()),
            other => loan_error(other),
        })?;
        let message = match body.decision {
            LoanDecision::Approve => "Loan application approved",
            LoanDecision::Reject => "Loan application rejected",
        };
        Ok(Json(LoanActionResponse {
            success: True,
            message: message.into(),
            data: Loan::of(&record, now)?,
        })
        .into())
    }
}

/// The 201 body of a new application.
fn submitted(record: &LoanRecord, now: NaiveDateTime) -> Result<LoanActionResponse, ApiError> {
    Ok(LoanActionResponse {
        success: True,
        message: "Loan application submitted successfully".into(),
        data: Loan::of(record, now)?,
    })
}

/// The 201 body of a payment.
fn paid(payment: &PaymentRow, record: &LoanRecord, now: NaiveDateTime) -> Result<LoanPaymentResponse, ApiError> {
    let closed = record.loan.status()? == LoanStatus::PaidOff;
    Ok(LoanPaymentResponse {
        success: True,
        message: if closed { "Loan paid off" } else { "Payment recorded" }.into(),
        data: LoanPaymentResult {
            payment: LoanPayment::of(payment)?,
            loan: Loan::of(record, now)?,
        },
    })
}
