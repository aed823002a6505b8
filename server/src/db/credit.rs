//! Credit storage: calculated scores, the credit events the loan flows write, and the
//! reading of a user's records into the scorecard's inputs ([`crate::domain::credit`]).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use rust_decimal::Decimal;

use super::schema::{credit_events, credit_scores, loan_payments, loans, trading_trades};
use super::trading::dec;
use super::{DbConn, DbError};
use crate::domain::credit::{self as scorecard, CreditInputs, Impact};
use crate::domain::loans::LoanStatus;
use crate::with_conn;

crate::domain::text_enum!(
    /// Kinds of credit event (seed 003's `event_type`).
    EventType {
        /// A loan application was submitted.
        CreditInquiry = "credit_inquiry",
        /// The applicant cancelled a submitted application.
        ApplicationCancelled = "loan_application_cancelled",
        /// Staff rejected an application.
        Rejected = "loan_rejected",
        /// Staff approved an application; the loan was disbursed.
        Disbursed = "loan_disbursed",
        /// A loan payment (on time: positive; late: negative).
        Payment = "loan_payment",
        /// A payment closed the loan.
        PaidOff = "loan_paid_off",
    }
);

/// How long a calculated score is reused by calculate-score and loan applications.
pub const SCORE_REUSE_HOURS: i64 = 24;
/// The window of the new-credit part: applications younger than this count.
pub const INQUIRY_WINDOW_DAYS: i64 = 90;

/// A row of `credit_scores`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = credit_scores)]
pub struct ScoreRow {
    /// `cs_…`.
    pub id: String,
    /// Whose score.
    pub user_id: String,
    /// 300–850.
    pub score: i64,
    /// The rating band's name.
    pub rating: String,
    /// The scorecard version.
    pub model_version: String,
    /// The address recorded with the score.
    pub wallet_address: Option<String>,
    /// `[[part, points], …]` as JSON.
    pub components: String,
    /// `[{factor, impact, description}, …]` as JSON.
    pub factors: String,
    /// `["…", …]` as JSON.
    pub recommendations: String,
    /// When calculated.
    pub calculated_at: NaiveDateTime,
}

/// A row of `credit_events`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = credit_events)]
pub struct EventRow {
    /// `ch_…`.
    pub id: String,
    /// Whose history.
    pub user_id: String,
    /// The loan concerned.
    pub loan_id: Option<String>,
    /// The event type's wire name.
    pub event_type: String,
    /// The money involved.
    pub amount: Option<String>,
    /// positive, negative or neutral.
    pub impact: String,
    /// The event in words.
    pub description: String,
    /// When.
    pub event_date: NaiveDateTime,
}

impl EventRow {
    /// A new event of `user_id` about `loan_id`.
    pub fn new(
        user_id: &str,
        loan_id: &str,
        event_type: EventType,
        amount: Option<Decimal>,
        impact: Impact,
        description: impl Into<String>,
        at: NaiveDateTime,
    ) -> Self {
        Self {
            id: super::ordered_id("ch"),
            user_id: user_id.to_owned(),
            loan_id: Some(loan_id.to_owned()),
            event_type: event_type.as_str().to_owned(),
            amount: amount.map(|a| a.normalize().to_string()),
            impact: impact.as_str().to_owned(),
            description: description.into(),
            event_date: at,
        }
    }
}

/// The latest score of `user_id`, if any.
pub async fn latest_score(conn: &mut DbConn, user_id: &str) -> Result<Option<ScoreRow>, DbError> {
    Ok(with_conn!(conn, c => credit_scores::table
        .filter(credit_scores::user_id.eq(user_id))
        .order((credit_scores::calculated_at.desc(), credit_scores::id.desc()))
        .select(ScoreRow::as_select())
        .first(c)
        .await
        .optional())?)
}

/// Stores a calculated score.
pub async fn insert_score(conn: &mut DbConn, row: &ScoreRow) -> Result<(), DbError> {
    with_conn!(conn, c => diesel::insert_into(credit_scores::table).values(row).execute(c).await)?;
    Ok(())
}

/// What Meridian's records say of `user_id` (account created at `created_at`) at `now`.
pub async fn inputs(
    conn: &mut DbConn,
    user_id: &str,
    created_at: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<CreditInputs, DbError> {
    let held = [
        LoanStatus::Approved.as_str(),
        LoanStatus::Active.as_str(),
        LoanStatus::PaidOff.as_str(),
    ];
    let since = now - chrono::Duration::days(INQUIRY_WINDOW_DAYS);
    let (payments, loans, inquiries, trade) = with_conn!(conn, c => {
        let read: Result<_, diesel::result::Error> = async {
            let payments: Vec<bool> = loan_payments::table
                .inner_join(loans::table)
                .filter(loans::user_id.eq(user_id))
                .select(loan_payments::on_time)
                .load(c)
                .await?;
            let loans: Vec<(String, Option<String>, Option<String>)> = loans::table
                .filter(loans::user_id.eq(user_id))
                .filter(loans::status.eq_any(held))
                .select((loans::loan_type, loans::approved_amount, loans::outstanding_principal))
                .load(c)
                .await?;
            let inquiries: i64 = credit_events::table
                .filter(credit_events::user_id.eq(user_id))
                .filter(credit_events::event_type.eq(EventType::CreditInquiry.as_str()))
                .filter(credit_events::event_date.gt(since))
                .count()
                .get_result(c)
                .await?;
            let trade: Option<String> = trading_trades::table
                .filter(trading_trades::user_id.eq(user_id))
                .select(trading_trades::id)
                .first(c)
                .await
                .optional()?;
            Ok((payments, loans, inquiries, trade))
        }
        .await;
        read
    })?;
    let mut types = std::collections::BTreeSet::new();
    let (mut approved, mut outstanding) = (Decimal::ZERO, Decimal::ZERO);
    for (loan_type, amount, owed) in &loans {
        types.insert(loan_type.as_str());
        approved += amount.as_deref().map(dec).transpose()?.unwrap_or_default();
        outstanding += owed.as_deref().map(dec).transpose()?.unwrap_or_default();
    }
    let on_time = payments.iter().filter(|p| **p).count();
    Ok(CreditInputs {
        payments_on_time: on_time as u32,
        payments_late: (payments.len() - on_time) as u32,
        outstanding_principal: outstanding,
        approved_principal: approved,
        account_age_days: (now - created_at).num_days().max(0),
        inquiries_90d: inquiries as u32,
        loan_types_held: types.len() as u32,
        has_trades: trade.is_some(),
    })
}

/// The scorecard of `inputs` as a row to store (components, factors and recommendations as
/// the JSON the API answers with).
pub fn score_row(user_id: &str, inputs: &CreditInputs, wallet: Option<String>, now: NaiveDateTime) -> ScoreRow {
    let card = scorecard::score(inputs);
    let components: Vec<(String, String)> = card
        .components
        .iter()
        .map(|c| (c.part.as_str().to_owned(), c.points.normalize().to_string()))
        .collect();
    let factors: Vec<serde_json::Value> = card
        .factors
        .iter()
        .map(|f| serde_json::json!({"factor": f.factor, "impact": f.impact.as_str(), "description": f.description}))
        .collect();
    ScoreRow {
        id: super::ordered_id("cs"),
        user_id: user_id.to_owned(),
        score: card.score,
        rating: card.rating.as_str().to_owned(),
        model_version: scorecard::MODEL_VERSION.to_owned(),
        wallet_address: wallet,
        components: serde_json::json!(components).to_string(),
        factors: serde_json::Value::Array(factors).to_string(),
        recommendations: serde_json::json!(card.recommendations).to_string(),
        calculated_at: now,
    }
}

/// The user's current score: the latest when younger than [`SCORE_REUSE_HOURS`] and not
/// `force`d (`true`: reused), else a new calculation, stored (`false`). `wallet`: the
/// address to record with a new score.
pub async fn current_score(
    conn: &mut DbConn,
    user_id: &str,
    created_at: NaiveDateTime,
    wallet: Option<String>,
    force: bool,
    now: NaiveDateTime,
) -> Result<(ScoreRow, bool), DbError> {
    if !force
        && let Some(latest) = latest_score(conn, user_id).await?
        && latest.calculated_at > now - chrono::Duration::hours(SCORE_REUSE_HOURS)
    {
        return Ok((latest, true));
    }
    let inputs = inputs(conn, user_id, created_at, now).await?;
    let row = score_row(user_id, &inputs, wallet, now);
    insert_score(conn, &row).await?;
    Ok((row, false))
}

/// One page of the user's credit events, newest first, and the total.
pub async fn list_events(
    conn: &mut DbConn,
    user_id: &str,
    limit: i64,
    offset: i64,
) -> Result<(Vec<EventRow>, i64), DbError> {
    Ok(with_conn!(conn, c => {
        let total: Result<i64, diesel::result::Error> = credit_events::table
            .filter(credit_events::user_id.eq(user_id))
            .count()
            .get_result(c)
            .await;
        let total = total?;
        let rows = credit_events::table
            .filter(credit_events::user_id.eq(user_id))
            .order((credit_events::event_date.desc(), credit_events::id.desc()))
            .limit(limit)
            .offset(offset)
            .select(EventRow::as_select())
            .load(c)
            .await?;
        Ok::<_, diesel::result::Error>((rows, total))
    })?)
}
