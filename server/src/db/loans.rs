//! Loans storage: applications, decisions, payments and the credit events they write, each
//! change one transaction written once for both backends.
//!
//! A change to an existing loan first bumps its row (`revision + 1`): on PostgreSQL that row
//! lock queues concurrent changes of the same loan (two payments, a cancel racing a
//! decision), on SQLite the `BEGIN IMMEDIATE` transaction already does. The status and the
//! repayment state are then read, checked by the pure rules of [`crate::domain::loans`], and
//! written back with the payment and the credit events in the same transaction.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{Datelike, NaiveDateTime};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use rust_decimal::Decimal;

use super::credit::{EventRow, EventType};
use super::idempotency::{KeyLookup, claim_key, remember_key};
use super::schema::{credit_events, loan_application_counters, loan_payments, loans};
use super::trading::dec;
use super::{DbConn, DbError};
use crate::domain::credit::Impact;
use crate::domain::loans::{self as rules, FieldError, Ledger, LoanStatus, LoanType, PaymentError, Terms};
use crate::{with_conn, write_tx};

/// The operation names idempotency keys are stored under.
pub const APPLY_FOR_LOAN: &str = "apply_for_loan";
/// See [`APPLY_FOR_LOAN`].
pub const MAKE_LOAN_PAYMENT: &str = "make_loan_payment";

/// A row of `loans`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = loans)]
pub struct LoanRow {
    /// `la_…`.
    pub id: String,
    /// The applicant.
    pub user_id: String,
    /// `LA-<year>-<6 digits>`.
    pub application_number: String,
    /// Lifecycle status.
    pub status: String,
    /// Kind of loan.
    pub loan_type: String,
    /// Amount asked for.
    pub requested_amount: String,
    /// Term asked for.
    pub requested_term_months: i64,
    /// Rate asked for.
    pub requested_rate: Option<String>,
    /// Score when applying.
    pub credit_score_at_application: i64,
    /// Approval estimate.
    pub approval_probability: String,
    /// `application_data` as JSON text.
    pub application_data: Option<String>,
    /// Principal approved.
    pub approved_amount: Option<String>,
    /// Rate approved.
    pub approved_rate: Option<String>,
    /// Term of the approved loan.
    pub term_months: Option<i64>,
    /// Regular installment.
    pub monthly_payment: Option<String>,
    /// Principal still owed.
    pub outstanding_principal: Option<String>,
    /// Sum paid.
    pub total_paid: Option<String>,
    /// Staff's reason.
    pub decision_reason: Option<String>,
    /// Who decided.
    pub decided_by: Option<String>,
    /// When decided.
    pub decided_at: Option<NaiveDateTime>,
    /// When disbursed.
    pub disbursed_at: Option<NaiveDateTime>,
    /// When cancelled.
    pub cancelled_at: Option<NaiveDateTime>,
    /// When paid off.
    pub paid_off_at: Option<NaiveDateTime>,
    /// Change counter (the row lock).
    pub revision: i64,
    /// When submitted.
    pub submitted_at: NaiveDateTime,
    /// Last change.
    pub updated_at: NaiveDateTime,
}

impl LoanRow {
    /// The stored status.
    pub fn status(&self) -> Result<LoanStatus, DbError> {
        LoanStatus::from_str(&self.status).map_err(DbError::Other)
    }

    /// The stored loan type.
    pub fn loan_type(&self) -> Result<LoanType, DbError> {
        LoanType::from_str(&self.loan_type).map_err(DbError::Other)
    }

    /// The contract, once approved.
    pub fn terms(&self) -> Result<Option<Terms>, DbError> {
        let (Some(amount), Some(rate), Some(term), Some(monthly), Some(disbursed)) = (
            &self.approved_amount,
            &self.approved_rate,
            self.term_months,
            &self.monthly_payment,
            self.disbursed_at,
        ) else {
            return Ok(None);
        };
        Ok(Some(Terms {
            principal: dec(amount)?,
            annual_rate: dec(rate)?,
            term_months: u32::try_from(term).map_err(|e| DbError::Other(e.to_string()))?,
            monthly_payment: dec(monthly)?,
            disbursed_on: disbursed.date(),
        }))
    }
}

/// A row of `loan_payments`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = loan_payments)]
pub struct PaymentRow {
    /// `lp_…`.
    pub id: String,
    /// The loan paid.
    pub loan_id: String,
    /// 1, 2, … within the loan.
    pub sequence: i64,
    /// Amount paid.
    pub amount: String,
    /// Part that repaid principal.
    pub principal_portion: String,
    /// Part that paid interest.
    pub interest_portion: String,
    /// Made on time.
    pub on_time: bool,
    /// When.
    pub paid_at: NaiveDateTime,
}

/// A loan and, once approved, its repayment state rebuilt from its payments.
#[derive(Debug, Clone)]
pub struct LoanRecord {
    /// The stored loan.
    pub loan: LoanRow,
    /// The repayment state (approved, active and paid-off loans).
    pub ledger: Option<Ledger>,
}

impl LoanRecord {
    /// `loan` with its ledger replayed from `payments` (in sequence order).
    fn of(loan: LoanRow, payments: &[PaymentRow]) -> Result<Self, DbError> {
        let ledger = match loan.terms()? {
            None => None,
            Some(terms) => {
                let made = payments
                    .iter()
                    .map(|p| Ok((dec(&p.amount)?, p.paid_at.date())))
                    .collect::<Result<Vec<_>, DbError>>()?;
                Some(Ledger::replay(terms, &made).map_err(|e| DbError::Other(format!("stored payments: {e}")))?)
            }
        };
        Ok(Self { loan, ledger })
    }
}

/// Why a loan change failed.
#[derive(Debug)]
pub enum LoanError {
    /// No such loan (of the caller) (404).
    NotFound,
    /// The loan's status does not allow the change (409): the status, and which statuses
    /// would (in words).
    Status(LoanStatus, &'static str),
    /// Staff deciding their own application (403).
    OwnApplication,
    /// The `Idempotency-Key` was used with another request (409).
    Reused,
    /// A field broke a rule (400 naming it).
    Invalid(FieldError),
    /// Storage failed.
    Db(DbError),
}

impl From<DbError> for LoanError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::NotFound => Self::NotFound,
            other => Self::Db(other),
        }
    }
}

impl From<diesel::result::Error> for LoanError {
    fn from(e: diesel::result::Error) -> Self {
        DbError::from(e).into()
    }
}

impl From<PaymentError> for LoanError {
    fn from(e: PaymentError) -> Self {
        Self::Invalid(FieldError {
            field: "amount",
            message: e.to_string(),
        })
    }
}

/// What a change with an `Idempotency-Key` came to.
#[derive(Debug, Clone)]
pub enum Outcome<T> {
    /// Done now.
    New(T),
    /// A retry: the first response's body, as stored.
    Replay(String),
}

/// The `Idempotency-Key` of a request and the hash of what the request asks.
#[derive(Debug, Clone)]
pub struct Idempotency {
    /// The key.
    pub key: String,
    /// Hash of the canonical request.
    pub request_hash: String,
}

/// A loan application, as the API parsed and scored it.
#[derive(Debug, Clone)]
pub struct NewApplication {
    /// Kind of loan.
    pub loan_type: LoanType,
    /// Amount asked for.
    pub requested_amount: Decimal,
    /// Term asked for.
    pub requested_term_months: i64,
    /// Rate asked for.
    pub requested_rate: Option<Decimal>,
    /// `application_data` as JSON text.
    pub application_data: Option<String>,
    /// The applicant's current score.
    pub credit_score: i64,
    /// The approval estimate.
    pub approval_probability: Decimal,
}

fn text(d: Decimal) -> String {
    d.normalize().to_string()
}

/// Loads the payments of `$ids` (loan ids), in sequence order, grouped by loan.
macro_rules! load_payments {
    ($c:expr, $ids:expr) => {{
        let rows: Result<Vec<PaymentRow>, diesel::result::Error> = loan_payments::table
            .filter(loan_payments::loan_id.eq_any($ids))
            .order((loan_payments::loan_id.asc(), loan_payments::sequence.asc()))
            .select(PaymentRow::as_select())
            .load($c)
            .await;
        rows.map(|rows| {
            let mut by_loan: BTreeMap<String, Vec<PaymentRow>> = BTreeMap::new();
            for row in rows {
                by_loan.entry(row.loan_id.clone()).or_default().push(row);
            }
            by_loan
        })
    }};
}

/// Bumps the loan's revision (taking its row lock) and reads it; `NotFound` when absent.
macro_rules! lock_loan {
    ($c:expr, $id:expr) => {{
        let bumped = diesel::update(loans::table.find($id))
            .set(loans::revision.eq(loans::revision + 1i64))
            .execute($c)
            .await?;
        if bumped == 0 {
            return Err(LoanError::NotFound);
        }
        let row: LoanRow = loans::table.find($id).select(LoanRow::as_select()).first($c).await?;
        row
    }};
}

/// Submits an application for `user_id` with its `credit_inquiry` event, numbering it
/// `LA-<year>-<n>` from the year's counter (a row-locked upsert, so concurrent applications
/// get distinct numbers). A retry with the same `Idempotency-Key` returns the first body,
/// which `render` produced.
pub async fn apply(
    conn: &mut DbConn,
    user_id: &str,
    application: &NewApplication,
    idempotency: Option<&Idempotency>,
    now: NaiveDateTime,
    render: &(dyn Fn(&LoanRecord) -> Result<String, String> + Sync),
) -> Result<Outcome<LoanRecord>, LoanError> {
    write_tx!(conn, c => {
        if let Some(idem) = idempotency {
            match claim_key!(c, user_id, APPLY_FOR_LOAN, &idem.key, &idem.request_hash, now)? {
                KeyLookup::Mismatch => return Err(LoanError::Reused),
                KeyLookup::Replay { response, .. } => return Ok(Outcome::Replay(response.unwrap_or_default())),
                KeyLookup::New => {}
            }
        }
        let year = i64::from(now.year());
        let number: i64 = diesel::insert_into(loan_application_counters::table)
            .values((loan_application_counters::year.eq(year), loan_application_counters::last_number.eq(1i64)))
            .on_conflict(loan_application_counters::year)
            .do_update()
            .set(loan_application_counters::last_number.eq(loan_application_counters::last_number + 1i64))
            .returning(loan_application_counters::last_number)
            .get_result(c)
            .await?;
        if number > 999_999 {
            return Err(LoanError::Db(DbError::Conflict("application numbers of the year are exhausted".into())));
        }
        let id = super::ordered_id("la");
        let row: LoanRow = diesel::insert_into(loans::table)
            .values((
                loans::id.eq(&id),
                loans::user_id.eq(user_id),
                loans::application_number.eq(format!("LA-{year:04}-{number:06}")),
                loans::status.eq(LoanStatus::Submitted.as_str()),
                loans::loan_type.eq(application.loan_type.as_str()),
                loans::requested_amount.eq(text(application.requested_amount)),
                loans::requested_term_months.eq(application.requested_term_months),
                loans::requested_rate.eq(application.requested_rate.map(text)),
                loans::credit_score_at_application.eq(application.credit_score),
                loans::approval_probability.eq(text(application.approval_probability)),
                loans::application_data.eq(&application.application_data),
                loans::revision.eq(0i64),
                loans::submitted_at.eq(now),
                loans::updated_at.eq(now),
            ))
            .returning(LoanRow::as_returning())
            .get_result(c)
            .await?;
        let event = EventRow::new(
            user_id,
            &id,
            EventType::CreditInquiry,
            None,
            Impact::Neutral,
            "Credit check for loan application",
            now,
        );
        diesel::insert_into(credit_events::table).values(&event).execute(c).await?;
        let record = LoanRecord { loan: row, ledger: None };
        if let Some(idem) = idempotency {
            let body = render(&record).map_err(DbError::Other)?;
            remember_key!(c, user_id, APPLY_FOR_LOAN, &idem.key, &id, Some(body.as_str()))?;
        }
        Ok::<_, LoanError>(Outcome::New(record))
    })
}

/// The applicant withdraws their `submitted` application `loan_id`.
pub async fn cancel(
    conn: &mut DbConn,
    user_id: &str,
    loan_id: &str,
    now: NaiveDateTime,
) -> Result<LoanRecord, LoanError> {
    write_tx!(conn, c => {
        let row = lock_loan!(c, loan_id);
        if row.user_id != user_id {
            return Err(LoanError::NotFound);
        }
        let status = row.status()?;
        if status != LoanStatus::Submitted {
            return Err(LoanError::Status(status, "Only a submitted application can be cancelled"));
        }
        let row: LoanRow = diesel::update(loans::table.find(loan_id))
            .set((
                loans::status.eq(LoanStatus::Cancelled.as_str()),
                loans::cancelled_at.eq(now),
                loans::updated_at.eq(now),
            ))
            .returning(LoanRow::as_returning())
            .get_result(c)
            .await?;
        let event = EventRow::new(
            user_id,
            loan_id,
            EventType::ApplicationCancelled,
            None,
            Impact::Neutral,
            format!("Loan application {} cancelled by the applicant", row.application_number),
            now,
        );
        diesel::insert_into(credit_events::table).values(&event).execute(c).await?;
        Ok::<_, LoanError>(LoanRecord { loan: row, ledger: None })
    })
}

/// A staff decision.
#[derive(Debug, Clone)]
pub enum Decision {
    /// Approve and disburse; `None`s default to the requested amount and rate.
    Approve {
        /// Principal to approve.
        amount: Option<Decimal>,
        /// Annual rate in percent.
        rate: Option<Decimal>,
    },
    /// Reject.
    Reject,
}

/// Staff member `staff_id` decides the `submitted` application `loan_id` (of another user).
pub async fn decide(
    conn: &mut DbConn,
    staff_id: &str,
    loan_id: &str,
    decision: &Decision,
    reason: Option<&str>,
    now: NaiveDateTime,
) -> Result<LoanRecord, LoanError> {
    write_tx!(conn, c => {
        let row = lock_loan!(c, loan_id);
        if row.user_id == staff_id {
            return Err(LoanError::OwnApplication);
        }
        let status = row.status()?;
        if status != LoanStatus::Submitted {
            return Err(LoanError::Status(status, "Only a submitted application can be decided"));
        }
        let (row, event) = match decision {
            Decision::Reject => {
                let row: LoanRow = diesel::update(loans::table.find(loan_id))
                    .set((
                        loans::status.eq(LoanStatus::Rejected.as_str()),
                        loans::decision_reason.eq(reason),
                        loans::decided_by.eq(staff_id),
                        loans::decided_at.eq(now),
                        loans::updated_at.eq(now),
                    ))
                    .returning(LoanRow::as_returning())
                    .get_result(c)
                    .await?;
                let description = format!("Loan application {} rejected", row.application_number);
                let event = EventRow::new(&row.user_id, loan_id, EventType::Rejected, None, Impact::Neutral, description, now);
                (row, event)
            }
            Decision::Approve { amount, rate } => {
                let requested = dec(&row.requested_amount)?;
                let amount = amount.unwrap_or(requested);
                let rate = match (rate, &row.requested_rate) {
                    (Some(rate), _) => *rate,
                    (None, Some(requested)) => dec(requested)?,
                    (None, None) => {
                        return Err(LoanError::Invalid(FieldError {
                            field: "approved_rate",
                            message: "approved_rate is required: the application names no requested_rate".into(),
                        }));
                    }
                };
                rules::check_approval(requested, amount, rate).map_err(LoanError::Invalid)?;
                let term = u32::try_from(row.requested_term_months).map_err(|e| DbError::Other(e.to_string()))?;
                let monthly = rules::monthly_payment(amount, rate, term);
                let row: LoanRow = diesel::update(loans::table.find(loan_id))
                    .set((
                        loans::status.eq(LoanStatus::Approved.as_str()),
                        loans::approved_amount.eq(text(amount)),
                        loans::approved_rate.eq(text(rate)),
                        loans::term_months.eq(row.requested_term_months),
                        loans::monthly_payment.eq(text(monthly)),
                        loans::outstanding_principal.eq(text(amount)),
                        loans::total_paid.eq("0"),
                        loans::decision_reason.eq(reason),
                        loans::decided_by.eq(staff_id),
                        loans::decided_at.eq(now),
                        loans::disbursed_at.eq(now),
                        loans::updated_at.eq(now),
                    ))
                    .returning(LoanRow::as_returning())
                    .get_result(c)
                    .await?;
                let description = format!("Loan {} disbursed", row.application_number);
                let event = EventRow::new(&row.user_id, loan_id, EventType::Disbursed, Some(amount), Impact::Neutral, description, now);
                (row, event)
            }
        };
        diesel::insert_into(credit_events::table).values(&event).execute(c).await?;
        Ok::<_, LoanError>(LoanRecord::of(row, &[])?)
    })
}

/// A payment of `amount` on the caller's loan `loan_id`: applied by the ledger, stored with
/// its credit events, and the loan's status and balances updated, in one transaction under
/// the loan's row lock. A retry with the same `Idempotency-Key` returns the first body.
#[allow(clippy::too_many_arguments)]
pub async fn pay(
    conn: &mut DbConn,
    user_id: &str,
    loan_id: &str,
    amount: Decimal,
    idempotency: Option<&Idempotency>,
    now: NaiveDateTime,
    render: &(dyn Fn(&PaymentRow, &LoanRecord) -> Result<String, String> + Sync),
) -> Result<Outcome<(PaymentRow, LoanRecord)>, LoanError> {
    write_tx!(conn, c => {
        if let Some(idem) = idempotency {
            match claim_key!(c, user_id, MAKE_LOAN_PAYMENT, &idem.key, &idem.request_hash, now)? {
                KeyLookup::Mismatch => return Err(LoanError::Reused),
                KeyLookup::Replay { response, .. } => return Ok(Outcome::Replay(response.unwrap_or_default())),
                KeyLookup::New => {}
            }
        }
        let row = lock_loan!(c, loan_id);
        if row.user_id != user_id {
            return Err(LoanError::NotFound);
        }
        let status = row.status()?;
        if !status.is_repayable() {
            return Err(LoanError::Status(status, "Payments are accepted on approved and active loans"));
        }
        let mut payments = load_payments!(c, [loan_id])?.remove(loan_id).unwrap_or_default();
        let mut record = LoanRecord::of(row, &payments)?;
        let ledger = record.ledger.as_mut().ok_or_else(|| DbError::Other("an approved loan without terms".into()))?;
        let split = ledger.pay(amount, now.date())?;
        let payment = PaymentRow {
            id: super::ordered_id("lp"),
            loan_id: loan_id.to_owned(),
            sequence: payments.len() as i64 + 1,
            amount: text(amount),
            principal_portion: text(split.principal),
            interest_portion: text(split.interest),
            on_time: split.on_time,
            paid_at: now,
        };
        diesel::insert_into(loan_payments::table).values(&payment).execute(c).await?;
        payments.push(payment.clone());
        let new_status = if split.paid_off { LoanStatus::PaidOff } else { LoanStatus::Active };
        record.loan = diesel::update(loans::table.find(loan_id))
            .set((
                loans::status.eq(new_status.as_str()),
                loans::outstanding_principal.eq(text(ledger.outstanding())),
                loans::total_paid.eq(text(ledger.total_paid())),
                loans::paid_off_at.eq(split.paid_off.then_some(now)),
                loans::updated_at.eq(now),
            ))
            .returning(LoanRow::as_returning())
            .get_result(c)
            .await?;
        let number = &record.loan.application_number;
        let mut events = vec![if split.on_time {
            EventRow::new(user_id, loan_id, EventType::Payment, Some(amount), Impact::Positive, "On-time loan payment", now)
        } else {
            EventRow::new(user_id, loan_id, EventType::Payment, Some(amount), Impact::Negative, "Late loan payment", now)
        }];
        if split.paid_off {
            let principal = dec(record.loan.approved_amount.as_deref().unwrap_or("0"))?;
            events.push(EventRow::new(
                user_id,
                loan_id,
                EventType::PaidOff,
                Some(principal),
                Impact::Positive,
                format!("Loan {number} paid off"),
                now,
            ));
        }
        for event in &events {
            diesel::insert_into(credit_events::table).values(event).execute(c).await?;
        }
        if let Some(idem) = idempotency {
            let body = render(&payment, &record).map_err(DbError::Other)?;
            remember_key!(c, user_id, MAKE_LOAN_PAYMENT, &idem.key, &payment.id, Some(body.as_str()))?;
        }
        Ok::<_, LoanError>(Outcome::New((payment, record)))
    })
}

/// The loan `loan_id` of `user_id` (another user's loan is [`DbError::NotFound`]).
pub async fn find(conn: &mut DbConn, user_id: &str, loan_id: &str) -> Result<LoanRecord, DbError> {
    let (row, mut payments) = with_conn!(conn, c => {
        let read: Result<_, diesel::result::Error> = async {
            let row: LoanRow = loans::table
                .find(loan_id)
                .filter(loans::user_id.eq(user_id))
                .select(LoanRow::as_select())
                .first(c)
                .await?;
            let payments = load_payments!(c, [loan_id])?;
            Ok((row, payments))
        }
        .await;
        read
    })?;
    LoanRecord::of(row, &payments.remove(loan_id).unwrap_or_default())
}

/// One page of the user's loans (optionally of one status), newest first, and the total.
pub async fn list(
    conn: &mut DbConn,
    user_id: &str,
    status: Option<LoanStatus>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<LoanRecord>, i64), DbError> {
    macro_rules! filtered {
        () => {{
            let mut q = loans::table.filter(loans::user_id.eq(user_id)).into_boxed();
            if let Some(status) = status {
                q = q.filter(loans::status.eq(status.as_str()));
            }
            q
        }};
    }
    let (rows, total, mut payments) = with_conn!(conn, c => {
        let read: Result<_, diesel::result::Error> = async {
            let total: i64 = filtered!().count().get_result(c).await?;
            let rows: Vec<LoanRow> = filtered!()
                .order((loans::submitted_at.desc(), loans::id.desc()))
                .limit(limit)
                .offset(offset)
                .select(LoanRow::as_select())
                .load(c)
                .await?;
            let ids: Vec<&str> = rows.iter().filter(|r| r.approved_amount.is_some()).map(|r| r.id.as_str()).collect();
            let payments = load_payments!(c, ids)?;
            Ok((rows, total, payments))
        }
        .await;
        read
    })?;
    let records = rows
        .into_iter()
        .map(|row| {
            let made = payments.remove(&row.id).unwrap_or_default();
            LoanRecord::of(row, &made)
        })
        .collect::<Result<_, _>>()?;
    Ok((records, total))
}
