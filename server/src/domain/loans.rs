//! Loans, pure: the application, calculator and approval checks, the amortized monthly
//! payment (seed 003's calculator), Meridian's approval estimate, and the repayment
//! [`Ledger`] of an approved loan: its schedule, its payoff amount and how each payment is
//! applied.
//!
//! With `r = annual_rate / 1200`, installment `k` falls due `k` calendar months after the
//! disbursement date; its interest is the principal outstanding when it starts × `r`
//! (half-up to cents) and its principal part the monthly payment minus that interest; the
//! last one pays the remaining principal plus its interest. A payment settles the current
//! installment and any later overdue ones (interest first, then principal); the rest
//! prepays principal, which shortens the schedule at the same monthly payment.
//!
//! The ledger is rebuilt from the loan's terms and its payments ([`Ledger::replay`]); the
//! database layer stores only those. Amounts are exact decimals (half-up to cents), rates
//! annual in percent, dates UTC calendar dates.

use std::fmt;

use chrono::{Months, NaiveDate};
use rust_decimal::Decimal;

use super::symbols::round_half_up;
use super::text_enum;

text_enum!(
    /// Kind of loan; it sets the allowed amount and term ranges.
    LoanType {
        /// 1000–50000 over 6–84 months.
        Personal = "personal",
        /// 50000–1000000 over 60–360 months.
        Mortgage = "mortgage",
        /// 5000–100000 over 12–96 months.
        Auto = "auto",
        /// 10000–500000 over 6–120 months.
        Business = "business",
    }
);

impl LoanType {
    /// Every loan type, in the spec's order.
    pub const ALL: [LoanType; 4] = [
        LoanType::Personal,
        LoanType::Mortgage,
        LoanType::Auto,
        LoanType::Business,
    ];

    /// Inclusive `requested_amount` range: personal 1000–50000, mortgage 50000–1000000,
    /// auto 5000–100000, business 10000–500000.
    pub fn amount_range(self) -> (Decimal, Decimal) {
        let (low, high): (i64, i64) = match self {
            LoanType::Personal => (1_000, 50_000),
            LoanType::Mortgage => (50_000, 1_000_000),
            LoanType::Auto => (5_000, 100_000),
            LoanType::Business => (10_000, 500_000),
        };
        (Decimal::from(low), Decimal::from(high))
    }

    /// Inclusive `requested_term_months` range: personal 6–84, mortgage 60–360, auto 12–96,
    /// business 6–120.
    pub fn term_range(self) -> (i64, i64) {
        match self {
            LoanType::Personal => (6, 84),
            LoanType::Mortgage => (60, 360),
            LoanType::Auto => (12, 96),
            LoanType::Business => (6, 120),
        }
    }
}

text_enum!(
    /// Where a loan is in its lifecycle.
    LoanStatus {
        /// Applied for, waiting for staff.
        Submitted = "submitted",
        /// Approved and disbursed; no payment yet.
        Approved = "approved",
        /// Rejected by staff. Final.
        Rejected = "rejected",
        /// Withdrawn by the applicant while submitted. Final.
        Cancelled = "cancelled",
        /// Repaying (at least one payment made).
        Active = "active",
        /// Principal repaid. Final.
        PaidOff = "paid_off",
    }
);

impl LoanStatus {
    /// `approved`, `active`, `paid_off`: the loan has a repayment schedule.
    pub fn has_schedule(self) -> bool {
        matches!(self, LoanStatus::Approved | LoanStatus::Active | LoanStatus::PaidOff)
    }

    /// `approved`, `active`: payments are accepted.
    pub fn is_repayable(self) -> bool {
        matches!(self, LoanStatus::Approved | LoanStatus::Active)
    }
}

text_enum!(
    /// Status of one installment of a schedule.
    InstallmentStatus {
        /// Fully paid.
        Paid = "paid",
        /// The current installment, not yet past its due date.
        Due = "due",
        /// A later installment, not yet past its due date.
        Upcoming = "upcoming",
        /// Not fully paid and past its due date.
        Late = "late",
    }
);

/// A field-level refusal: the request field's wire name and a human message (the API turns
/// it into a 400 naming the field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The request field's wire name.
    pub field: &'static str,
    /// What is wrong, in words (it names the field).
    pub message: String,
}

impl FieldError {
    fn new(field: &'static str, message: String) -> Self {
        Self { field, message }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FieldError {}

/// Decimal places of `value`'s exact value (trailing zeros do not count: `1.50` has 1).
fn decimal_places(value: Decimal) -> u32 {
    value.normalize().scale()
}

/// Half-up to cents.
fn cents(value: Decimal) -> Decimal {
    round_half_up(value, 2)
}

/// `value` has at most `places` decimal places, else a refusal naming `field`.
fn check_places(field: &'static str, value: Decimal, places: u32) -> Result<(), FieldError> {
    if decimal_places(value) > places {
        return Err(FieldError::new(
            field,
            format!("{field} must have at most {places} decimal places"),
        ));
    }
    Ok(())
}

/// An annual rate in percent: `0..=max`, at most 4 decimal places.
fn check_rate(field: &'static str, rate: Decimal, max: i64) -> Result<(), FieldError> {
    if rate < Decimal::ZERO || rate > Decimal::from(max) {
        return Err(FieldError::new(field, format!("{field} must be between 0 and {max}")));
    }
    check_places(field, rate, 4)
}

/// Validates a loan application: amount within the type's range and at most 2 decimal
/// places (field `requested_amount`), term within the type's range (field
/// `requested_term_months`), rate when given 0..=36 with at most 4 decimal places (field
/// `requested_rate`). Messages state the allowed range, e.g. "requested_amount for a
/// personal loan must be between 1000 and 50000".
pub fn check_application(
    loan_type: LoanType,
    amount: Decimal,
    term_months: i64,
    rate: Option<Decimal>,
) -> Result<(), FieldError> {
    let kind = loan_type.as_str();
    let article = if loan_type == LoanType::Auto { "an" } else { "a" };
    let (low, high) = loan_type.amount_range();
    if amount < low || amount > high {
        return Err(FieldError::new(
            "requested_amount",
            format!("requested_amount for {article} {kind} loan must be between {low} and {high}"),
        ));
    }
    check_places("requested_amount", amount, 2)?;
    let (low, high) = loan_type.term_range();
    if !(low..=high).contains(&term_months) {
        return Err(FieldError::new(
            "requested_term_months",
            format!("requested_term_months for {article} {kind} loan must be between {low} and {high}"),
        ));
    }
    if let Some(rate) = rate {
        check_rate("requested_rate", rate, 36)?;
    }
    Ok(())
}

/// Validates calculator input: amount > 0 and <= 10000000 with at most 2 decimal places
/// (`amount`), rate 0..=100 with at most 4 decimal places (`rate`), term 1..=480
/// (`term_months`).
pub fn check_calculation(amount: Decimal, rate: Decimal, term_months: i64) -> Result<(), FieldError> {
    if amount <= Decimal::ZERO || amount > Decimal::from(10_000_000) {
        return Err(FieldError::new(
            "amount",
            "amount must be more than 0 and at most 10000000".to_string(),
        ));
    }
    check_places("amount", amount, 2)?;
    check_rate("rate", rate, 100)?;
    if !(1..=480).contains(&term_months) {
        return Err(FieldError::new(
            "term_months",
            "term_months must be between 1 and 480".to_string(),
        ));
    }
    Ok(())
}

/// Validates a staff approval: `approved_amount` > 0, <= the requested amount, at most 2
/// decimal places; `approved_rate` 0..=36, at most 4 decimal places.
pub fn check_approval(
    requested_amount: Decimal,
    approved_amount: Decimal,
    approved_rate: Decimal,
) -> Result<(), FieldError> {
    if approved_amount <= Decimal::ZERO || approved_amount > requested_amount {
        return Err(FieldError::new(
            "approved_amount",
            format!(
                "approved_amount must be more than 0 and at most the requested amount {}",
                requested_amount.normalize()
            ),
        ));
    }
    check_places("approved_amount", approved_amount, 2)?;
    check_rate("approved_rate", approved_rate, 36)
}

/// `base^exp` by repeated squaring in exact decimal arithmetic; `None` when it overflows.
fn checked_pow(base: Decimal, mut exp: u32) -> Option<Decimal> {
    let mut result = Decimal::ONE;
    let mut square = base;
    while exp > 0 {
        if exp & 1 == 1 {
            result = result.checked_mul(square)?;
        }
        exp >>= 1;
        if exp > 0 {
            square = square.checked_mul(square)?;
        }
    }
    Some(result)
}

/// Standard amortized monthly payment: with `r = annual_rate / 1200`,
/// `amount·r / (1 − (1+r)^−n)`, rounded half-up to cents; rate 0 → `amount / n` rounded
/// half-up to cents (and a term of 0 → the whole amount). Exact decimal arithmetic:
/// `(1+r)^n` by repeated squaring (28 significant digits); when it overflows (far beyond
/// the calculator's limits) the annuity factor is taken as 1.
pub fn monthly_payment(amount: Decimal, annual_rate: Decimal, term_months: u32) -> Decimal {
    if term_months == 0 {
        return cents(amount);
    }
    let by_term = || cents(amount / Decimal::from(term_months));
    if annual_rate.is_zero() {
        return by_term();
    }
    let hundred_twenty = Decimal::from(1200);
    let growth = checked_pow(Decimal::ONE + annual_rate / hundred_twenty, term_months);
    // (1+r)^n / ((1+r)^n − 1) = 1 / (1 − (1+r)^−n)
    let factor = match growth {
        Some(growth) => match growth.checked_div(growth - Decimal::ONE) {
            Some(factor) => factor,
            None => return by_term(),
        },
        None => Decimal::ONE,
    };
    cents(amount * annual_rate / hundred_twenty * factor)
}

/// The calculator's figures (seed 003).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Calculation {
    /// [`monthly_payment`].
    pub monthly_payment: Decimal,
    /// `monthly_payment × term_months`.
    pub total_payment: Decimal,
    /// `total_payment − amount`.
    pub total_interest: Decimal,
}

/// The calculator (seed 003): [`monthly_payment`], `total_payment = monthly × n` and
/// `total_interest = total − amount`.
pub fn calculate(amount: Decimal, annual_rate: Decimal, term_months: u32) -> Calculation {
    let monthly = monthly_payment(amount, annual_rate, term_months);
    let total = monthly * Decimal::from(term_months);
    Calculation {
        monthly_payment: monthly,
        total_payment: total,
        total_interest: total - amount,
    }
}

/// Meridian's approval estimate in percent, one decimal, half-up:
/// `(score − 300) / 5.5 − min(amount / 25000, 20) − term_months / 24`, clamped to 0..=100.
pub fn approval_probability(score: i64, amount: Decimal, term_months: u32) -> Decimal {
    let from_score = Decimal::from(score.saturating_sub(300)) / Decimal::new(55, 1);
    let for_amount = (amount / Decimal::from(25_000)).min(Decimal::from(20));
    let for_term = Decimal::from(term_months) / Decimal::from(24);
    let estimate = (from_score - for_amount - for_term).clamp(Decimal::ZERO, Decimal::ONE_HUNDRED);
    round_half_up(estimate, 1)
}

/// Due date of installment `number` (1-based): `number` calendar months after
/// `disbursed_on`, on the same day of the month or the month's last day when it is shorter
/// (`NaiveDate::MAX` past the calendar's end).
pub fn due_date(disbursed_on: NaiveDate, number: u32) -> NaiveDate {
    disbursed_on
        .checked_add_months(Months::new(number))
        .unwrap_or(NaiveDate::MAX)
}

/// The contract of an approved loan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    /// The approved (disbursed) principal.
    pub principal: Decimal,
    /// The approved annual interest rate in percent.
    pub annual_rate: Decimal,
    /// The contractual term in months.
    pub term_months: u32,
    /// The regular installment, fixed at approval ([`monthly_payment`]).
    pub monthly_payment: Decimal,
    /// The disbursement (approval) date, UTC; installment `k` falls due `k` months later.
    pub disbursed_on: NaiveDate,
}

/// The scheduled figures of one installment.
#[derive(Debug, Clone, Copy)]
struct Line {
    payment: Decimal,
    principal: Decimal,
    interest: Decimal,
    /// It pays the remaining principal off.
    last: bool,
}

impl Terms {
    /// The terms of a loan approved for `principal` at `annual_rate` over `term_months`,
    /// disbursed on `disbursed_on`, with its [`monthly_payment`].
    pub fn new(principal: Decimal, annual_rate: Decimal, term_months: u32, disbursed_on: NaiveDate) -> Self {
        Self {
            principal,
            annual_rate,
            term_months,
            monthly_payment: monthly_payment(principal, annual_rate, term_months),
            disbursed_on,
        }
    }

    /// Installment `number` starting from `start` principal outstanding: interest
    /// `start × r` half-up to cents; the last one (number `term_months`, or when `start +
    /// interest` fits in the monthly payment) pays `start` off, the others repay
    /// `monthly_payment − interest` (never less than 0).
    fn line(&self, number: u32, start: Decimal) -> Line {
        let interest = cents(start * self.annual_rate / Decimal::from(1200));
        if number >= self.term_months || start + interest <= self.monthly_payment {
            Line {
                payment: start + interest,
                principal: start,
                interest,
                last: true,
            }
        } else {
            let principal = (self.monthly_payment - interest).max(Decimal::ZERO);
            Line {
                payment: principal + interest,
                principal,
                interest,
                last: false,
            }
        }
    }

    fn due(&self, number: u32) -> NaiveDate {
        due_date(self.disbursed_on, number)
    }
}

/// One line of a repayment schedule (the `LoanInstallment` schema).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installment {
    /// Position in the schedule, from 1.
    pub number: u32,
    /// `number` months after the disbursement date.
    pub due_date: NaiveDate,
    /// `principal + interest` (for a paid one, including any prepayment made with it).
    pub payment: Decimal,
    /// Part of `payment` that repays principal.
    pub principal: Decimal,
    /// Principal outstanding at the installment's start × `r`, half-up to cents.
    pub interest: Decimal,
    /// Principal outstanding once this installment is paid (0 after the last).
    pub remaining_balance: Decimal,
    /// How much of `payment` has been paid so far.
    pub paid_amount: Decimal,
    /// Paid, due, upcoming or late.
    pub status: InstallmentStatus,
}

/// How one payment was applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaymentSplit {
    /// Part that repaid principal (prepayment included).
    pub principal: Decimal,
    /// Part that paid interest; `principal + interest` is the amount paid.
    pub interest: Decimal,
    /// Made on or before the due date of the installment that was current.
    pub on_time: bool,
    /// The payment closed the loan (outstanding principal now 0).
    pub paid_off: bool,
}

/// Why a payment was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentError {
    /// The amount is 0 or negative.
    NotPositive,
    /// The amount has more than 2 decimal places.
    TooManyDecimals,
    /// The amount is more than the payoff amount.
    ExceedsPayoff {
        /// The payoff amount on the payment's date.
        payoff: Decimal,
    },
    /// The loan is already paid off.
    PaidOff,
}

impl fmt::Display for PaymentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PaymentError::NotPositive => f.write_str("amount must be more than 0"),
            PaymentError::TooManyDecimals => f.write_str("amount must have at most 2 decimal places"),
            PaymentError::ExceedsPayoff { payoff } => {
                write!(f, "amount must not exceed the payoff amount {payoff:.2}")
            }
            PaymentError::PaidOff => f.write_str("the loan is already paid off"),
        }
    }
}

impl std::error::Error for PaymentError {}

/// The installment being paid: the earliest one not fully paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Current {
    number: u32,
    /// Principal outstanding when it started (its interest is computed from it).
    start: Decimal,
    /// Paid towards it so far (interest first, then principal).
    paid: Decimal,
}

/// The repayment state of an approved loan: installments settled so far, the current one
/// (partly paid or not), and the principal outstanding. Rebuilt from the terms and the
/// payments made ([`Ledger::replay`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ledger {
    terms: Terms,
    /// Fully paid installments, as applied (status `paid`).
    settled: Vec<Installment>,
    /// `None` once paid off.
    current: Option<Current>,
    outstanding: Decimal,
    total_paid: Decimal,
}

impl Ledger {
    /// A loan just disbursed: nothing paid, installment 1 current.
    pub fn new(terms: Terms) -> Self {
        let outstanding = terms.principal;
        let current = (outstanding > Decimal::ZERO).then_some(Current {
            number: 1,
            start: outstanding,
            paid: Decimal::ZERO,
        });
        Self {
            terms,
            settled: Vec::new(),
            current,
            outstanding,
            total_paid: Decimal::ZERO,
        }
    }

    /// The state after `payments` (amount, UTC date paid), applied in order with
    /// [`Ledger::pay`]; the first refused payment's error otherwise.
    pub fn replay(terms: Terms, payments: &[(Decimal, NaiveDate)]) -> Result<Self, PaymentError> {
        let mut ledger = Self::new(terms);
        for &(amount, paid_on) in payments {
            ledger.pay(amount, paid_on)?;
        }
        Ok(ledger)
    }

    /// The loan's contract.
    pub fn terms(&self) -> &Terms {
        &self.terms
    }

    /// Principal still owed (0 once paid off).
    pub fn outstanding(&self) -> Decimal {
        self.outstanding
    }

    /// Sum of all payments made.
    pub fn total_paid(&self) -> Decimal {
        self.total_paid
    }

    /// Whether the principal has been repaid.
    pub fn is_paid_off(&self) -> bool {
        self.current.is_none()
    }

    /// Due date of the current installment (earliest not fully paid); `None` once paid off.
    pub fn next_payment_due(&self) -> Option<NaiveDate> {
        self.current.map(|current| self.terms.due(current.number))
    }

    /// Outstanding principal + unpaid interest of the current installment and of every
    /// later installment already overdue on `today` (due date < today), as a payment would
    /// settle them; 0 once paid off. The most a payment may be, and what closes the loan.
    pub fn payoff_amount(&self, today: NaiveDate) -> Decimal {
        let Some(current) = self.current else {
            return Decimal::ZERO;
        };
        let line = self.terms.line(current.number, current.start);
        let mut payoff = self.outstanding + (line.interest - current.paid).max(Decimal::ZERO);
        let mut start = current.start - line.principal;
        let (mut number, mut last) = (current.number, line.last);
        while !last && start > Decimal::ZERO {
            number += 1;
            if self.terms.due(number) >= today {
                break;
            }
            let line = self.terms.line(number, start);
            payoff += line.interest;
            start -= line.principal;
            last = line.last;
        }
        payoff
    }

    /// Applies a payment made on `today`: it settles the current installment, then every
    /// later one already overdue, each one's unpaid interest first, then its principal
    /// part; when the amount runs out the installment stays partly paid. The rest prepays
    /// principal: it counts in the principal, payment and paid amount of the last
    /// installment this payment settled, and the next installment starts from the lower
    /// principal. Refused when not positive, with more than 2 decimal places, once paid
    /// off, or above [`Ledger::payoff_amount`].
    pub fn pay(&mut self, amount: Decimal, today: NaiveDate) -> Result<PaymentSplit, PaymentError> {
        if amount <= Decimal::ZERO {
            return Err(PaymentError::NotPositive);
        }
        if decimal_places(amount) > 2 {
            return Err(PaymentError::TooManyDecimals);
        }
        let Some(first) = self.current else {
            return Err(PaymentError::PaidOff);
        };
        let payoff = self.payoff_amount(today);
        if amount > payoff {
            return Err(PaymentError::ExceedsPayoff { payoff });
        }
        let on_time = today <= self.terms.due(first.number);
        let mut remaining = amount;
        let (mut principal, mut interest) = (Decimal::ZERO, Decimal::ZERO);
        let mut settled_any = false;
        while let Some(mut current) = self.current {
            let due = self.terms.due(current.number);
            if remaining.is_zero() || (current.number != first.number && due >= today) {
                break;
            }
            let line = self.terms.line(current.number, current.start);
            let applied = remaining.min(line.payment - current.paid);
            let to_interest = applied.min((line.interest - current.paid).max(Decimal::ZERO));
            let to_principal = applied - to_interest;
            remaining -= applied;
            interest += to_interest;
            principal += to_principal;
            self.outstanding -= to_principal;
            current.paid += applied;
            if current.paid < line.payment {
                self.current = Some(current);
                break;
            }
            self.settled.push(Installment {
                number: current.number,
                due_date: due,
                payment: line.payment,
                principal: line.principal,
                interest: line.interest,
                remaining_balance: self.outstanding,
                paid_amount: line.payment,
                status: InstallmentStatus::Paid,
            });
            settled_any = true;
            self.current = self.next_after(current.number);
        }
        if remaining > Decimal::ZERO && settled_any {
            // Bounded by the payoff amount: what is left is at most the principal outstanding.
            debug_assert!(remaining <= self.outstanding);
            let prepaid = remaining.min(self.outstanding);
            if let Some(line) = self.settled.last_mut() {
                line.principal += prepaid;
                line.payment += prepaid;
                line.paid_amount += prepaid;
                line.remaining_balance -= prepaid;
                let number = line.number;
                principal += prepaid;
                self.outstanding -= prepaid;
                self.current = self.next_after(number);
            }
        }
        self.total_paid += amount;
        Ok(PaymentSplit {
            principal,
            interest,
            on_time,
            paid_off: self.current.is_none(),
        })
    }

    /// The installment after `number`, starting from the principal now outstanding;
    /// `None` when nothing is.
    fn next_after(&self, number: u32) -> Option<Current> {
        if self.outstanding > Decimal::ZERO {
            Some(Current {
                number: number + 1,
                start: self.outstanding,
                paid: Decimal::ZERO,
            })
        } else {
            None
        }
    }

    /// The full schedule as of `today`: settled installments as applied (`paid`), then the
    /// current one as scheduled from its start principal with what it got so far (`late`
    /// past its due date, else `due`), then the later ones projected from the principal
    /// left after the current one's scheduled principal (`late` or `upcoming`). The
    /// principal parts always add up to the loan's principal.
    pub fn schedule(&self, today: NaiveDate) -> Vec<Installment> {
        let mut lines = self.settled.clone();
        let Some(current) = self.current else {
            return lines;
        };
        let status = |due: NaiveDate, otherwise| {
            if due < today {
                InstallmentStatus::Late
            } else {
                otherwise
            }
        };
        let line = self.terms.line(current.number, current.start);
        let due = self.terms.due(current.number);
        let mut balance = current.start - line.principal;
        lines.push(Installment {
            number: current.number,
            due_date: due,
            payment: line.payment,
            principal: line.principal,
            interest: line.interest,
            remaining_balance: balance,
            paid_amount: current.paid,
            status: status(due, InstallmentStatus::Due),
        });
        let (mut number, mut last) = (current.number, line.last);
        while !last && balance > Decimal::ZERO {
            number += 1;
            let line = self.terms.line(number, balance);
            let due = self.terms.due(number);
            balance -= line.principal;
            last = line.last;
            lines.push(Installment {
                number,
                due_date: due,
                payment: line.payment,
                principal: line.principal,
                interest: line.interest,
                remaining_balance: balance,
                paid_amount: Decimal::ZERO,
                status: status(due, InstallmentStatus::Upcoming),
            });
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal::RoundingStrategy;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// The spec's loan: 10000 at 5.5 % over 36 months, disbursed 2024-12-30.
    fn spec_terms() -> Terms {
        Terms::new(d("10000"), d("5.5"), 36, day("2024-12-30"))
    }

    /// The schedule of `openapi/loans.yaml` (get_loan_schedule, `one_paid`): number, due
    /// date, payment, principal, interest, remaining balance.
    const SPEC_SCHEDULE: [(u32, &str, &str, &str, &str, &str); 36] = [
        (1, "2025-01-30", "301.96", "256.13", "45.83", "9743.87"),
        (2, "2025-02-28", "301.96", "257.30", "44.66", "9486.57"),
        (3, "2025-03-30", "301.96", "258.48", "43.48", "9228.09"),
        (4, "2025-04-30", "301.96", "259.66", "42.30", "8968.43"),
        (5, "2025-05-30", "301.96", "260.85", "41.11", "8707.58"),
        (6, "2025-06-30", "301.96", "262.05", "39.91", "8445.53"),
        (7, "2025-07-30", "301.96", "263.25", "38.71", "8182.28"),
        (8, "2025-08-30", "301.96", "264.46", "37.50", "7917.82"),
        (9, "2025-09-30", "301.96", "265.67", "36.29", "7652.15"),
        (10, "2025-10-30", "301.96", "266.89", "35.07", "7385.26"),
        (11, "2025-11-30", "301.96", "268.11", "33.85", "7117.15"),
        (12, "2025-12-30", "301.96", "269.34", "32.62", "6847.81"),
        (13, "2026-01-30", "301.96", "270.57", "31.39", "6577.24"),
        (14, "2026-02-28", "301.96", "271.81", "30.15", "6305.43"),
        (15, "2026-03-30", "301.96", "273.06", "28.90", "6032.37"),
        (16, "2026-04-30", "301.96", "274.31", "27.65", "5758.06"),
        (17, "2026-05-30", "301.96", "275.57", "26.39", "5482.49"),
        (18, "2026-06-30", "301.96", "276.83", "25.13", "5205.66"),
        (19, "2026-07-30", "301.96", "278.10", "23.86", "4927.56"),
        (20, "2026-08-30", "301.96", "279.38", "22.58", "4648.18"),
        (21, "2026-09-30", "301.96", "280.66", "21.30", "4367.52"),
        (22, "2026-10-30", "301.96", "281.94", "20.02", "4085.58"),
        (23, "2026-11-30", "301.96", "283.23", "18.73", "3802.35"),
        (24, "2026-12-30", "301.96", "284.53", "17.43", "3517.82"),
        (25, "2027-01-30", "301.96", "285.84", "16.12", "3231.98"),
        (26, "2027-02-28", "301.96", "287.15", "14.81", "2944.83"),
        (27, "2027-03-30", "301.96", "288.46", "13.50", "2656.37"),
        (28, "2027-04-30", "301.96", "289.78", "12.18", "2366.59"),
        (29, "2027-05-30", "301.96", "291.11", "10.85", "2075.48"),
        (30, "2027-06-30", "301.96", "292.45", "9.51", "1783.03"),
        (31, "2027-07-30", "301.96", "293.79", "8.17", "1489.24"),
        (32, "2027-08-30", "301.96", "295.13", "6.83", "1194.11"),
        (33, "2027-09-30", "301.96", "296.49", "5.47", "897.62"),
        (34, "2027-10-30", "301.96", "297.85", "4.11", "599.77"),
        (35, "2027-11-30", "301.96", "299.21", "2.75", "300.56"),
        (36, "2027-12-30", "301.94", "300.56", "1.38", "0.00"),
    ];

    fn sum_principal(lines: &[Installment]) -> Decimal {
        lines.iter().map(|line| line.principal).sum()
    }

    /// Checks `lines` against the spec's figures (not statuses or paid amounts).
    fn assert_spec_figures(lines: &[Installment]) {
        assert_eq!(lines.len(), 36);
        for (line, &(number, due, payment, principal, interest, remaining)) in lines.iter().zip(SPEC_SCHEDULE.iter()) {
            assert_eq!(line.number, number);
            assert_eq!(line.due_date, day(due), "line {number}");
            assert_eq!(line.payment, d(payment), "line {number}");
            assert_eq!(line.principal, d(principal), "line {number}");
            assert_eq!(line.interest, d(interest), "line {number}");
            assert_eq!(line.remaining_balance, d(remaining), "line {number}");
            assert_eq!(line.payment, line.principal + line.interest, "line {number}");
        }
    }

    #[test]
    fn calculator_matches_seed_003() {
        let calc = calculate(d("10000"), d("5.5"), 36);
        assert_eq!(calc.monthly_payment, d("301.96"));
        assert_eq!(calc.total_payment, d("10870.56"));
        assert_eq!(calc.total_interest, d("870.56"));
        let calc = calculate(d("1000"), d("5.0"), 36);
        assert_eq!(calc.monthly_payment, d("29.97"));
        assert_eq!(calc.total_payment, d("1078.92"));
        assert_eq!(calc.total_interest, d("78.92"));
    }

    #[test]
    fn calculator_edge_rates_and_terms() {
        assert_eq!(monthly_payment(d("1000"), Decimal::ZERO, 3), d("333.33"));
        assert_eq!(monthly_payment(d("1000"), Decimal::ZERO, 6), d("166.67"));
        let calc = calculate(d("1000"), Decimal::ZERO, 3);
        assert_eq!(calc.total_payment, d("999.99"));
        assert_eq!(calc.total_interest, d("-0.01"));
        // One month: the amount plus one month's interest.
        assert_eq!(monthly_payment(d("1200"), d("12"), 1), d("1212"));
        // The calculator's extremes: (13/12)^480 ≈ 4.8e16, no overflow; the payment is
        // then one month's interest, a hair more.
        assert_eq!(monthly_payment(d("10000000"), d("100"), 480), d("833333.33"));
        assert_eq!(monthly_payment(d("0.01"), d("0.0001"), 480), d("0"));
        // Far past the limits the annuity factor overflows and is taken as 1.
        assert_eq!(monthly_payment(d("10000000"), d("100"), 100_000), d("833333.33"));
        assert_eq!(monthly_payment(d("500"), d("5"), 0), d("500"));
    }

    #[test]
    fn approval_probability_is_clamped_and_rounded() {
        // 420 / 5.5 = 76.3636…, − 0.4 − 1.5 = 74.4636… → 74.5
        assert_eq!(approval_probability(720, d("10000"), 36), d("74.5"));
        assert_eq!(approval_probability(300, d("10000"), 36), Decimal::ZERO);
        assert_eq!(approval_probability(850, d("0"), 0), Decimal::ONE_HUNDRED);
        // The amount part is capped at 20: 100 − 20 − 0.5 = 79.5 for a huge loan.
        assert_eq!(approval_probability(850, d("100000000"), 12), d("79.5"));
        assert_eq!(approval_probability(i64::MIN, d("1"), 1), Decimal::ZERO);
        assert_eq!(approval_probability(i64::MAX, d("1"), 1), Decimal::ONE_HUNDRED);
    }

    #[test]
    fn enums_round_trip_and_ranges() {
        for loan_type in LoanType::ALL {
            assert_eq!(loan_type.as_str().parse::<LoanType>(), Ok(loan_type));
            let (low, high) = loan_type.amount_range();
            assert!(low < high);
        }
        assert_eq!(LoanType::Mortgage.amount_range(), (d("50000"), d("1000000")));
        assert_eq!(LoanType::Auto.term_range(), (12, 96));
        assert_eq!("paid_off".parse::<LoanStatus>(), Ok(LoanStatus::PaidOff));
        assert!("paid-off".parse::<LoanStatus>().is_err());
        assert_eq!(InstallmentStatus::Upcoming.as_str(), "upcoming");
        let with_schedule = [LoanStatus::Approved, LoanStatus::Active, LoanStatus::PaidOff];
        let repayable = [LoanStatus::Approved, LoanStatus::Active];
        for status in [
            LoanStatus::Submitted,
            LoanStatus::Approved,
            LoanStatus::Rejected,
            LoanStatus::Cancelled,
            LoanStatus::Active,
            LoanStatus::PaidOff,
        ] {
            assert_eq!(status.has_schedule(), with_schedule.contains(&status), "{status:?}");
            assert_eq!(status.is_repayable(), repayable.contains(&status), "{status:?}");
        }
    }

    #[test]
    fn due_dates_keep_the_day_or_the_month_end() {
        let disbursed = day("2024-12-30");
        assert_eq!(due_date(disbursed, 1), day("2025-01-30"));
        assert_eq!(due_date(disbursed, 2), day("2025-02-28"));
        assert_eq!(due_date(disbursed, 3), day("2025-03-30"));
        assert_eq!(due_date(day("2024-01-31"), 1), day("2024-02-29"));
        assert_eq!(due_date(disbursed, u32::MAX), NaiveDate::MAX);
    }

    #[test]
    fn application_refusals_name_the_field() {
        let ok = check_application(LoanType::Personal, d("10000.00"), 36, Some(d("5.5")));
        assert_eq!(ok, Ok(()));
        assert_eq!(check_application(LoanType::Mortgage, d("1000000"), 360, None), Ok(()));

        let err = check_application(LoanType::Personal, d("999.99"), 36, None).unwrap_err();
        assert_eq!(err.field, "requested_amount");
        assert_eq!(
            err.message,
            "requested_amount for a personal loan must be between 1000 and 50000"
        );
        let err = check_application(LoanType::Auto, d("100000.01"), 36, None).unwrap_err();
        assert_eq!(
            err.message,
            "requested_amount for an auto loan must be between 5000 and 100000"
        );
        let err = check_application(LoanType::Personal, d("1000.001"), 36, None).unwrap_err();
        assert_eq!(err.field, "requested_amount");
        assert_eq!(err.message, "requested_amount must have at most 2 decimal places");
        // Trailing zeros are not decimal places.
        assert_eq!(check_application(LoanType::Personal, d("1000.000"), 36, None), Ok(()));
    }

    #[test]
    fn application_term_refusal() {
        let err = check_application(LoanType::Mortgage, d("60000"), 59, None).unwrap_err();
        assert_eq!(err.field, "requested_term_months");
        assert_eq!(
            err.message,
            "requested_term_months for a mortgage loan must be between 60 and 360"
        );
        let err = check_application(LoanType::Business, d("60000"), 121, None).unwrap_err();
        assert_eq!(err.field, "requested_term_months");
    }

    #[test]
    fn application_rate_refusal() {
        for rate in ["-0.0001", "36.0001", "5.12345"] {
            let err = check_application(LoanType::Personal, d("5000"), 12, Some(d(rate))).unwrap_err();
            assert_eq!(err.field, "requested_rate", "{rate}");
        }
        let err = check_application(LoanType::Personal, d("5000"), 12, Some(d("37"))).unwrap_err();
        assert_eq!(err.message, "requested_rate must be between 0 and 36");
        assert_eq!(
            check_application(LoanType::Personal, d("5000"), 12, Some(d("0"))),
            Ok(())
        );
        assert_eq!(
            check_application(LoanType::Personal, d("5000"), 12, Some(d("36"))),
            Ok(())
        );
    }

    #[test]
    fn calculation_amount_refusal() {
        assert_eq!(check_calculation(d("10000000"), d("100"), 480), Ok(()));
        assert_eq!(check_calculation(d("0.01"), d("0"), 1), Ok(()));
        for amount in ["0", "-1", "10000000.01", "1.005"] {
            let err = check_calculation(d(amount), d("5"), 36).unwrap_err();
            assert_eq!(err.field, "amount", "{amount}");
        }
    }

    #[test]
    fn calculation_rate_refusal() {
        for rate in ["-1", "100.0001", "1.00001"] {
            let err = check_calculation(d("1000"), d(rate), 36).unwrap_err();
            assert_eq!(err.field, "rate", "{rate}");
        }
    }

    #[test]
    fn calculation_term_refusal() {
        for term in [0, 481, -5] {
            let err = check_calculation(d("1000"), d("5"), term).unwrap_err();
            assert_eq!(err.field, "term_months", "{term}");
        }
    }

    #[test]
    fn approval_amount_refusal() {
        assert_eq!(check_approval(d("10000"), d("8000.00"), d("7.25")), Ok(()));
        assert_eq!(check_approval(d("10000"), d("10000"), d("0")), Ok(()));
        for amount in ["0", "10000.01", "5000.123"] {
            let err = check_approval(d("10000"), d(amount), d("5")).unwrap_err();
            assert_eq!(err.field, "approved_amount", "{amount}");
        }
    }

    #[test]
    fn approval_rate_refusal() {
        for rate in ["-0.5", "36.01", "7.00001"] {
            let err = check_approval(d("10000"), d("8000"), d(rate)).unwrap_err();
            assert_eq!(err.field, "approved_rate", "{rate}");
        }
    }

    #[test]
    fn fixed_schedule_at_approval() {
        let ledger = Ledger::new(spec_terms());
        assert_eq!(ledger.terms().monthly_payment, d("301.96"));
        let lines = ledger.schedule(day("2024-12-30"));
        assert_spec_figures(&lines);
        assert_eq!(lines[0].status, InstallmentStatus::Due);
        assert!(lines[1..].iter().all(|line| line.status == InstallmentStatus::Upcoming));
        assert!(lines.iter().all(|line| line.paid_amount.is_zero()));
        let total: Decimal = lines.iter().map(|line| line.payment).sum();
        let interest: Decimal = lines.iter().map(|line| line.interest).sum();
        assert_eq!(total, d("10870.54"));
        assert_eq!(interest, d("870.54"));
        assert_eq!(sum_principal(&lines), d("10000"));
        assert_eq!(lines.iter().filter(|line| line.payment == d("301.96")).count(), 35);
        assert_eq!(ledger.outstanding(), d("10000"));
        assert_eq!(ledger.total_paid(), Decimal::ZERO);
        assert_eq!(ledger.payoff_amount(day("2024-12-30")), d("10045.83"));
        assert_eq!(ledger.next_payment_due(), Some(day("2025-01-30")));
        assert!(!ledger.is_paid_off());
    }

    #[test]
    fn spec_example_after_the_first_payment() {
        let mut ledger = Ledger::new(spec_terms());
        let split = ledger.pay(d("301.96"), day("2025-01-28")).unwrap();
        assert_eq!(
            split,
            PaymentSplit {
                principal: d("256.13"),
                interest: d("45.83"),
                on_time: true,
                paid_off: false
            }
        );
        let lines = ledger.schedule(day("2025-01-28"));
        assert_spec_figures(&lines);
        assert_eq!(lines[0].status, InstallmentStatus::Paid);
        assert_eq!(lines[0].paid_amount, d("301.96"));
        assert_eq!(lines[1].status, InstallmentStatus::Due);
        assert!(lines[2..].iter().all(|line| line.status == InstallmentStatus::Upcoming));
        assert!(lines[1..].iter().all(|line| line.paid_amount.is_zero()));
        assert_eq!(ledger.outstanding(), d("9743.87"));
        assert_eq!(ledger.total_paid(), d("301.96"));
        assert_eq!(ledger.payoff_amount(day("2025-01-28")), d("9788.53"));
        assert_eq!(ledger.next_payment_due(), Some(day("2025-02-28")));
        // Past installment 2's due date it is late, and its interest is still the only one owed.
        let lines = ledger.schedule(day("2025-03-01"));
        assert_eq!(lines[1].status, InstallmentStatus::Late);
        assert_eq!(lines[2].status, InstallmentStatus::Upcoming);
        assert_eq!(ledger.payoff_amount(day("2025-02-28")), d("9788.53"));
    }

    #[test]
    fn paying_every_installment_on_time_keeps_the_fixed_schedule() {
        let mut ledger = Ledger::new(spec_terms());
        for &(number, due, payment, ..) in &SPEC_SCHEDULE {
            let split = ledger.pay(d(payment), day(due)).unwrap();
            assert!(split.on_time);
            assert_eq!(split.paid_off, number == 36);
            let lines = ledger.schedule(day(due));
            assert_spec_figures(&lines);
            for line in &lines {
                let paid = line.number <= number;
                assert_eq!(line.status == InstallmentStatus::Paid, paid);
                assert_eq!(line.paid_amount, if paid { line.payment } else { Decimal::ZERO });
            }
        }
        assert!(ledger.is_paid_off());
        assert_eq!(ledger.total_paid(), d("10870.54"));
        assert_eq!(ledger.outstanding(), Decimal::ZERO);
        assert_eq!(ledger.next_payment_due(), None);
        assert_eq!(ledger.payoff_amount(day("2028-01-01")), Decimal::ZERO);
    }

    #[test]
    fn partial_payments_pay_interest_first() {
        let mut ledger = Ledger::new(spec_terms());
        let split = ledger.pay(d("20"), day("2025-01-10")).unwrap();
        assert_eq!((split.interest, split.principal), (d("20"), Decimal::ZERO));
        assert!(split.on_time && !split.paid_off);
        assert_eq!(ledger.outstanding(), d("10000"));
        assert_eq!(ledger.payoff_amount(day("2025-01-10")), d("10025.83"));
        let lines = ledger.schedule(day("2025-01-10"));
        assert_eq!(lines[0].paid_amount, d("20"));
        assert_eq!(lines[0].status, InstallmentStatus::Due);
        assert_spec_figures(&lines);

        let split = ledger.pay(d("100"), day("2025-01-20")).unwrap();
        assert_eq!((split.interest, split.principal), (d("25.83"), d("74.17")));
        assert_eq!(ledger.outstanding(), d("9925.83"));
        assert_eq!(ledger.payoff_amount(day("2025-01-20")), d("9925.83"));
        assert_eq!(ledger.next_payment_due(), Some(day("2025-01-30")));
        assert_spec_figures(&ledger.schedule(day("2025-01-20")));

        // The rest of installment 1: all principal; then the spec's state.
        let split = ledger.pay(d("181.96"), day("2025-01-30")).unwrap();
        assert_eq!((split.interest, split.principal), (Decimal::ZERO, d("181.96")));
        assert!(split.on_time);
        assert_eq!(ledger.outstanding(), d("9743.87"));
        assert_eq!(ledger.payoff_amount(day("2025-01-30")), d("9788.53"));
        let lines = ledger.schedule(day("2025-01-30"));
        assert_spec_figures(&lines);
        assert_eq!(lines[0].status, InstallmentStatus::Paid);
        assert_eq!(lines[0].paid_amount, d("301.96"));
    }

    #[test]
    fn late_payment_is_not_on_time() {
        let mut ledger = Ledger::new(spec_terms());
        let split = ledger.pay(d("301.96"), day("2025-02-05")).unwrap();
        assert!(!split.on_time);
        assert_eq!((split.principal, split.interest), (d("256.13"), d("45.83")));
        let lines = ledger.schedule(day("2025-02-05"));
        assert_spec_figures(&lines);
        assert_eq!(lines[0].status, InstallmentStatus::Paid);
        assert_eq!(lines[1].status, InstallmentStatus::Due);
        // On the due date itself a payment is on time.
        let split = ledger.pay(d("301.96"), day("2025-02-28")).unwrap();
        assert!(split.on_time);
    }

    #[test]
    fn one_payment_settles_overdue_installments() {
        let today = day("2025-03-05");
        let ledger = Ledger::new(spec_terms());
        let lines = ledger.schedule(today);
        assert_eq!(lines[0].status, InstallmentStatus::Late);
        assert_eq!(lines[1].status, InstallmentStatus::Late);
        assert_eq!(lines[2].status, InstallmentStatus::Upcoming);
        assert_eq!(ledger.payoff_amount(today), d("10090.49"));

        // Two installments at once.
        let mut both = ledger.clone();
        let split = both.pay(d("603.92"), today).unwrap();
        assert!(!split.on_time);
        assert_eq!((split.principal, split.interest), (d("513.43"), d("90.49")));
        assert_eq!(both.outstanding(), d("9486.57"));
        assert_eq!(both.next_payment_due(), Some(day("2025-03-30")));
        let lines = both.schedule(today);
        assert_spec_figures(&lines);
        assert_eq!(lines[1].status, InstallmentStatus::Paid);
        assert_eq!(lines[2].status, InstallmentStatus::Due);

        // Not enough for both: installment 2 stays partly paid, interest first, and late.
        let mut partly = ledger.clone();
        let split = partly.pay(d("500"), today).unwrap();
        assert_eq!((split.principal, split.interest), (d("409.51"), d("90.49")));
        assert_eq!(partly.outstanding(), d("9590.49"));
        assert_eq!(partly.next_payment_due(), Some(day("2025-02-28")));
        let lines = partly.schedule(today);
        assert_spec_figures(&lines);
        assert_eq!(lines[0].status, InstallmentStatus::Paid);
        assert_eq!(lines[1].status, InstallmentStatus::Late);
        assert_eq!(lines[1].paid_amount, d("198.04"));
        assert_eq!(partly.payoff_amount(today), d("9590.49"));

        // Installment 3 is not overdue: the surplus prepays principal with installment 2.
        let mut more = ledger.clone();
        let split = more.pay(d("1603.92"), today).unwrap();
        assert_eq!((split.principal, split.interest), (d("1513.43"), d("90.49")));
        let lines = more.schedule(today);
        assert_eq!(lines[1].principal, d("1257.30"));
        assert_eq!(lines[1].payment, d("1301.96"));
        assert_eq!(lines[1].paid_amount, d("1301.96"));
        assert_eq!(lines[1].remaining_balance, d("8486.57"));
        assert_eq!(more.outstanding(), d("8486.57"));
        // 8486.57 × 5.5 / 1200 = 38.896…
        assert_eq!(lines[2].interest, d("38.90"));
        assert_eq!(lines[2].status, InstallmentStatus::Due);
    }

    #[test]
    fn prepayment_shortens_the_schedule() {
        let mut ledger = Ledger::new(spec_terms());
        let split = ledger.pay(d("5301.96"), day("2025-01-28")).unwrap();
        assert_eq!((split.principal, split.interest), (d("5256.13"), d("45.83")));
        assert!(split.on_time && !split.paid_off);
        assert_eq!(ledger.outstanding(), d("4743.87"));
        assert_eq!(ledger.total_paid(), d("5301.96"));
        let lines = ledger.schedule(day("2025-01-28"));
        let first = &lines[0];
        assert_eq!(first.status, InstallmentStatus::Paid);
        assert_eq!(
            (first.payment, first.principal, first.interest),
            (d("5301.96"), d("5256.13"), d("45.83"))
        );
        assert_eq!(
            (first.paid_amount, first.remaining_balance),
            (d("5301.96"), d("4743.87"))
        );
        // 4743.87 × 5.5 / 1200 = 21.742…
        assert_eq!((lines[1].interest, lines[1].principal), (d("21.74"), d("280.22")));
        assert_eq!(lines[1].status, InstallmentStatus::Due);
        assert!(lines.len() < 36, "{} installments", lines.len());
        assert_eq!(lines.len(), 18);
        let last = lines.last().unwrap();
        assert_eq!(last.remaining_balance, Decimal::ZERO);
        assert!(last.payment <= d("301.96"));
        assert!(lines[1..lines.len() - 1].iter().all(|line| line.payment == d("301.96")));
        assert_eq!(sum_principal(&lines), d("10000"));
        for (index, line) in lines.iter().enumerate() {
            assert_eq!(line.number as usize, index + 1);
            assert_eq!(line.due_date, due_date(day("2024-12-30"), line.number));
        }
        assert_eq!(ledger.payoff_amount(day("2025-01-28")), d("4765.61"));
    }

    #[test]
    fn exact_payoff_closes_the_loan() {
        let mut ledger = Ledger::new(spec_terms());
        ledger.pay(d("301.96"), day("2025-01-28")).unwrap();
        let today = day("2025-04-02");
        // Installments 2 (02-28) and 3 (03-30) are overdue: their interest is owed too.
        let payoff = ledger.payoff_amount(today);
        assert_eq!(payoff, d("9743.87") + d("44.66") + d("43.48"));
        let split = ledger.pay(payoff, today).unwrap();
        assert_eq!((split.principal, split.interest), (d("9743.87"), d("88.14")));
        assert!(split.paid_off && !split.on_time);
        assert!(ledger.is_paid_off());
        assert_eq!(ledger.outstanding(), Decimal::ZERO);
        assert_eq!(ledger.next_payment_due(), None);
        assert_eq!(ledger.payoff_amount(today), Decimal::ZERO);
        assert_eq!(ledger.total_paid(), d("301.96") + payoff);
        let lines = ledger.schedule(today);
        assert_eq!(lines.len(), 3);
        assert!(lines.iter().all(|line| line.status == InstallmentStatus::Paid));
        assert!(lines.iter().all(|line| line.paid_amount == line.payment));
        // Installment 3 was settled with it: its own principal plus the prepayment.
        assert_eq!(lines[2].principal, d("258.48") + d("9228.09"));
        assert_eq!(lines[2].remaining_balance, Decimal::ZERO);
        assert_eq!(sum_principal(&lines), d("10000"));

        // Right after approval: one line carrying everything.
        let mut fresh = Ledger::new(spec_terms());
        let split = fresh.pay(d("10045.83"), day("2024-12-30")).unwrap();
        assert_eq!((split.principal, split.interest), (d("10000"), d("45.83")));
        assert!(split.paid_off && split.on_time);
        let lines = fresh.schedule(day("2024-12-30"));
        assert_eq!(lines.len(), 1);
        assert_eq!((lines[0].payment, lines[0].principal), (d("10045.83"), d("10000")));
    }

    #[test]
    fn refused_payments() {
        let mut ledger = Ledger::new(spec_terms());
        let today = day("2024-12-30");
        assert_eq!(ledger.pay(Decimal::ZERO, today), Err(PaymentError::NotPositive));
        assert_eq!(ledger.pay(d("-5"), today), Err(PaymentError::NotPositive));
        assert_eq!(ledger.pay(d("10.001"), today), Err(PaymentError::TooManyDecimals));
        let err = ledger.pay(d("10045.84"), today).unwrap_err();
        assert_eq!(err, PaymentError::ExceedsPayoff { payoff: d("10045.83") });
        assert_eq!(err.to_string(), "amount must not exceed the payoff amount 10045.83");
        // Refusals change nothing.
        assert_eq!(ledger, Ledger::new(spec_terms()));
        // Trailing zeros are fine.
        ledger.pay(d("301.960"), day("2025-01-28")).unwrap();
        let err = ledger.pay(d("9788.54"), day("2025-01-28")).unwrap_err();
        assert_eq!(err.to_string(), "amount must not exceed the payoff amount 9788.53");
        ledger.pay(d("9788.53"), day("2025-01-28")).unwrap();
        assert_eq!(ledger.pay(d("1"), day("2025-01-29")), Err(PaymentError::PaidOff));
        assert_eq!(PaymentError::PaidOff.to_string(), "the loan is already paid off");
        assert_eq!(PaymentError::NotPositive.to_string(), "amount must be more than 0");
        assert_eq!(
            PaymentError::TooManyDecimals.to_string(),
            "amount must have at most 2 decimal places"
        );
    }

    #[test]
    fn replay_equals_sequential_payments() {
        let payments = [
            (d("20"), day("2025-01-10")),
            (d("400"), day("2025-02-03")),
            (d("1000"), day("2025-04-15")),
            (d("301.96"), day("2025-05-30")),
        ];
        let mut ledger = Ledger::new(spec_terms());
        for &(amount, paid_on) in &payments {
            ledger.pay(amount, paid_on).unwrap();
        }
        assert_eq!(Ledger::replay(spec_terms(), &payments), Ok(ledger.clone()));
        assert_eq!(ledger.total_paid(), d("1721.96"));
        assert_eq!(sum_principal(&ledger.schedule(day("2025-06-01"))), d("10000"));
        let refused = [(d("20"), day("2025-01-10")), (d("0.001"), day("2025-01-11"))];
        assert_eq!(
            Ledger::replay(spec_terms(), &refused),
            Err(PaymentError::TooManyDecimals)
        );
    }

    #[test]
    fn zero_rate_loan() {
        let terms = Terms::new(d("1000"), Decimal::ZERO, 6, day("2025-01-31"));
        assert_eq!(terms.monthly_payment, d("166.67"));
        let lines = Ledger::new(terms).schedule(day("2025-01-31"));
        assert_eq!(lines.len(), 6);
        assert!(lines.iter().all(|line| line.interest.is_zero()));
        assert_eq!(lines[5].payment, d("166.65"));
        assert_eq!(lines[0].due_date, day("2025-02-28"));
        assert_eq!(sum_principal(&lines), d("1000"));
    }

    fn check_schedule(ledger: &Ledger, today: NaiveDate) -> Result<(), TestCaseError> {
        let lines = ledger.schedule(today);
        prop_assert!(!lines.is_empty());
        prop_assert!(lines.len() <= ledger.terms().term_months as usize);
        prop_assert_eq!(sum_principal(&lines), ledger.terms().principal);
        prop_assert_eq!(lines.last().unwrap().remaining_balance, Decimal::ZERO);
        let paid: Decimal = lines.iter().map(|line| line.paid_amount).sum();
        prop_assert_eq!(paid, ledger.total_paid());
        for (index, line) in lines.iter().enumerate() {
            prop_assert_eq!(line.number as usize, index + 1);
            prop_assert_eq!(line.payment, line.principal + line.interest);
            prop_assert!(line.principal >= Decimal::ZERO && line.interest >= Decimal::ZERO);
            prop_assert!(line.paid_amount <= line.payment);
            prop_assert_eq!(line.status == InstallmentStatus::Paid, line.paid_amount == line.payment);
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        #[test]
        fn fixed_schedule_repays_the_principal_exactly(
            cents in 100_000i64..=100_000_000,
            rate in 0i64..=360_000,
            term in 6u32..=360,
        ) {
            let amount = Decimal::new(cents, 2);
            let terms = Terms::new(amount, Decimal::new(rate, 4), term, day("2024-12-30"));
            let ledger = Ledger::new(terms);
            let lines = ledger.schedule(day("2024-12-30"));
            prop_assert_eq!(sum_principal(&lines), amount);
            prop_assert_eq!(lines.last().unwrap().remaining_balance, Decimal::ZERO);
            prop_assert_eq!(ledger.payoff_amount(day("2024-12-30")), amount + lines[0].interest);
            check_schedule(&ledger, day("2024-12-30"))?;
        }

        #[test]
        fn random_payments_keep_the_books_exact(
            cents in 100_000i64..=100_000_000,
            rate in 0i64..=360_000,
            term in 6u32..=360,
            steps in proptest::collection::vec((0u8..4, 1u32..=1000, 0u64..=75), 1..24),
        ) {
            let amount = Decimal::new(cents, 2);
            let terms = Terms::new(amount, Decimal::new(rate, 4), term, day("2024-12-30"));
            let mut ledger = Ledger::new(terms.clone());
            let mut today = day("2024-12-30");
            let mut payments = Vec::new();
            let mut repaid = Decimal::ZERO;
            for (kind, share, gap) in steps {
                today = today.checked_add_days(chrono::Days::new(gap)).unwrap();
                let payoff = ledger.payoff_amount(today);
                let wanted = match kind {
                    0 => (payoff * Decimal::from(share) / Decimal::from(1000))
                        .round_dp_with_strategy(2, RoundingStrategy::ToZero),
                    1 => terms.monthly_payment,
                    2 => Decimal::new(i64::from(share), 2),
                    _ => terms.monthly_payment * Decimal::from(share % 5 + 2),
                };
                let pay = wanted.clamp(Decimal::new(1, 2), payoff);
                let split = ledger.pay(pay, today).unwrap();
                payments.push((pay, today));
                prop_assert_eq!(split.principal + split.interest, pay);
                prop_assert!(split.principal >= Decimal::ZERO && split.interest >= Decimal::ZERO);
                repaid += split.principal;
                prop_assert_eq!(ledger.outstanding(), amount - repaid);
                prop_assert_eq!(split.paid_off, ledger.is_paid_off());
                prop_assert_eq!(split.paid_off, pay == payoff);
                check_schedule(&ledger, today)?;
                if ledger.is_paid_off() {
                    break;
                }
            }
            prop_assert_eq!(Ledger::replay(terms, &payments), Ok(ledger.clone()));
            if !ledger.is_paid_off() {
                today = today.checked_add_days(chrono::Days::new(40)).unwrap();
                let payoff = ledger.payoff_amount(today);
                let split = ledger.pay(payoff, today).unwrap();
                prop_assert!(split.paid_off);
                prop_assert_eq!(split.principal + split.interest, payoff);
                repaid += split.principal;
            }
            prop_assert!(ledger.is_paid_off());
            prop_assert_eq!(repaid, amount);
            prop_assert_eq!(ledger.outstanding(), Decimal::ZERO);
            prop_assert_eq!(ledger.payoff_amount(today), Decimal::ZERO);
            prop_assert_eq!(ledger.next_payment_due(), None);
            let lines = ledger.schedule(today);
            prop_assert!(lines.iter().all(|line| line.status == InstallmentStatus::Paid));
            check_schedule(&ledger, today)?;
        }
    }
}
