"""Loans group through the SDK: calculator, applications, cancel, staff decisions, schedules, payments and listing."""

from __future__ import annotations

import calendar
import datetime
import re
from decimal import ROUND_HALF_UP, Decimal

import pytest

import meridian
from meridian.models import Loan

from .support import Live, User, money

CENT = Decimal("0.01")


def monthly_payment(principal: Decimal, annual_rate: Decimal, months: int) -> Decimal:
    """The fixed monthly payment of an amortised loan, half-up to the cent."""
    if annual_rate == 0:
        return (principal / months).quantize(CENT, rounding=ROUND_HALF_UP)
    r = annual_rate / 1200
    return (principal * r / (1 - (1 + r) ** -months)).quantize(CENT, rounding=ROUND_HALF_UP)


def add_months(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def apply(user: User, amount: str = "10000", months: int = 36, rate: str | None = "5.5") -> Loan:
    return user.client.loans.apply_for_loan(
        loan_type="personal", requested_amount=amount, requested_term_months=months, requested_rate=rate
    ).data


# ---- Calculator ------------------------------------------------------------------------------


def test_calculate_matches_seed_003_to_the_cent(user: User) -> None:
    answer = user.client.loans.calculate_loan(amount=10000, rate=Decimal("5.5"), term_months=36)
    assert answer.success is True
    calc = answer.data
    assert (calc.monthly_payment, calc.total_payment, calc.total_interest) == (
        Decimal("301.96"),
        Decimal("10870.56"),
        Decimal("870.56"),
    )
    assert (calc.loan_amount, calc.interest_rate, calc.term_months) == (Decimal(10000), Decimal("5.5"), 36)
    # No credit score yet: no estimate.
    assert (calc.approval_probability, calc.credit_score) == (None, None)

    score = user.client.credit.calculate_credit_score().data.score
    scored = user.client.loans.calculate_loan(amount=10000, rate=Decimal("5.5"), term_months=36).data
    assert scored.credit_score == score
    assert scored.approval_probability is not None and 0 <= scored.approval_probability <= 100
    assert scored.approval_probability == scored.approval_probability.quantize(Decimal("0.1"))
    assert scored.monthly_payment == calc.monthly_payment


@pytest.mark.parametrize(
    ("amount", "rate", "months"),
    [("1000", "5", 36), ("250000.50", "3.75", 360), ("1200", "0", 12), ("99.99", "99.9999", 7)],
)
def test_calculate_follows_the_amortisation_formula(user: User, amount: str, rate: str, months: int) -> None:
    calc = user.client.loans.calculate_loan(amount=amount, rate=rate, term_months=months).data
    expected = monthly_payment(Decimal(amount), Decimal(rate), months)
    assert calc.monthly_payment == expected
    assert calc.total_payment == expected * months
    assert calc.total_interest == calc.total_payment - Decimal(amount)


def test_calculate_defaults_and_limits(user: User) -> None:
    calc = user.client.loans.calculate_loan().data
    assert (calc.loan_amount, calc.interest_rate, calc.term_months) == (Decimal(1000), Decimal(5), 36)
    assert calc.monthly_payment == monthly_payment(Decimal(1000), Decimal(5), 36) == Decimal("29.97")
    with pytest.raises(meridian.BadRequestError) as zero:
        user.client.loans.calculate_loan(amount="0")
    assert [e["field"] for e in zero.value.errors] == ["amount"]


# ---- Applications ----------------------------------------------------------------------------


def test_apply_submits_an_application_scored_at_application(user: User) -> None:
    answer = user.client.loans.apply_for_loan(
        loan_type="personal",
        requested_amount=Decimal("10000.00"),
        requested_term_months=36,
        requested_rate="5.5",
        application_data={"purpose": "Debt consolidation", "employment_status": "employed", "dependants": 2},
    )
    assert answer.success is True and answer.message == "Loan application submitted successfully"
    loan = answer.data
    assert re.fullmatch(r"la_[0-9a-f]{32}", loan.id)
    assert re.fullmatch(rf"LA-{datetime.date.today().year}-\d{{6}}", loan.application_number)
    assert (loan.status, loan.loan_type, loan.user_id) == ("submitted", "personal", user.id)
    assert (loan.requested_amount, loan.requested_term_months, loan.requested_rate) == (Decimal(10000), 36, Decimal("5.5"))
    assert loan.application_data == {"purpose": "Debt consolidation", "employment_status": "employed", "dependants": 2}
    assert loan.credit_score_at_application == user.client.credit.get_credit_score().data.score
    assert 0 <= money(loan.approval_probability) <= 100
    assert loan.estimated_response_time == "24-48 hours"
    assert loan.approved_amount is None and loan.monthly_payment is None and loan.decided_at is None
    assert abs(loan.submitted_at - datetime.datetime.now(datetime.timezone.utc)) < datetime.timedelta(seconds=30)

    assert user.client.loans.get_loan(id=loan.id).data == loan
    assert [l.id for l in user.client.loans.list_loans().data.loans] == [loan.id]


def test_applications_the_api_refuses(user: User) -> None:
    loans = user.client.loans
    with pytest.raises(meridian.BadRequestError) as amount:
        loans.apply_for_loan(loan_type="personal", requested_amount="500", requested_term_months=12)
    assert amount.value.errors == [
        {"field": "requested_amount", "message": "requested_amount for a personal loan must be between 1000 and 50000"}
    ]
    with pytest.raises(meridian.BadRequestError) as term:
        loans.apply_for_loan(loan_type="mortgage", requested_amount="100000", requested_term_months=12)
    assert [e["field"] for e in term.value.errors] == ["requested_term_months"]
    sent = user.client.attempts
    with pytest.raises(ValueError, match="finite"):
        loans.apply_for_loan(loan_type="personal", requested_amount=Decimal("NaN"), requested_term_months=12)
    with pytest.raises(TypeError, match="float"):
        loans.apply_for_loan(loan_type="personal", requested_amount=2000.0, requested_term_months=12)  # type: ignore[arg-type]
    assert user.client.attempts == sent
    assert loans.list_loans().data.loans == []


def test_an_idempotency_key_makes_a_retried_application_safe(user: User) -> None:
    loans = user.client.loans
    first = loans.apply_for_loan(loan_type="auto", requested_amount="6000", requested_term_months=24, idempotency_key="apply-1")
    again = loans.apply_for_loan(loan_type="auto", requested_amount="6000", requested_term_months=24, idempotency_key="apply-1")
    assert again.data == first.data
    with pytest.raises(meridian.ConflictError):
        loans.apply_for_loan(loan_type="auto", requested_amount="6001", requested_term_months=24, idempotency_key="apply-1")
    assert loans.list_loans().data.pagination.total == 1


def test_cancel_withdraws_a_submitted_application_only(user: User) -> None:
    loan = apply(user)
    cancelled = user.client.loans.cancel_loan(id=loan.id)
    assert cancelled.success is True
    assert cancelled.data.status == "cancelled" and cancelled.data.cancelled_at is not None
    with pytest.raises(meridian.ConflictError) as twice:
        user.client.loans.cancel_loan(id=loan.id)
    assert "cancelled" in twice.value.message
    with pytest.raises(meridian.ConflictError):
        user.client.loans.get_loan_schedule(id=loan.id)
    with pytest.raises(meridian.ConflictError):
        user.client.loans.make_loan_payment(id=loan.id, amount="100")
    history = user.client.credit.list_credit_history().data.history
    assert [e.event_type for e in history] == ["loan_application_cancelled", "credit_inquiry"]


def test_another_users_loan_is_not_found(live: Live, user: User) -> None:
    loan = apply(user)
    stranger = live.new_user("stranger")
    with pytest.raises(meridian.NotFoundError):
        stranger.client.loans.get_loan(id=loan.id)
    with pytest.raises(meridian.NotFoundError):
        stranger.client.loans.cancel_loan(id=loan.id)
    assert user.client.loans.get_loan(id=loan.id).data.status == "submitted"


# ---- Decisions, schedule, payments -------------------------------------------------------------


def test_approve_schedule_pay_and_pay_off(admin: meridian.Client, user: User) -> None:
    loan = apply(user)
    decided = admin.loans.admin_decide_loan(
        id=loan.id, decision="approve", approved_amount="8000", approved_rate=6, reason="Good standing"
    )
    assert decided.message == "Loan application approved"
    approved = decided.data
    assert (approved.status, approved.approved_amount, approved.approved_rate, approved.term_months) == (
        "approved",
        Decimal(8000),
        Decimal(6),
        36,
    )
    assert approved.monthly_payment == monthly_payment(Decimal(8000), Decimal(6), 36) == Decimal("243.38")
    assert (approved.outstanding_principal, approved.total_paid) == (Decimal(8000), Decimal(0))
    assert approved.payoff_amount == Decimal("8040")  # principal plus the month's interest, 8000 × 0.5 %
    assert approved.decision_reason == "Good standing"
    assert approved.decided_at is not None and approved.disbursed_at == approved.decided_at
    assert approved.next_payment_due == add_months(approved.decided_at.date(), 1)
    assert user.client.loans.get_loan(id=loan.id).data == approved

    schedule = user.client.loans.get_loan_schedule(id=loan.id).data
    assert (schedule.loan_id, schedule.principal, schedule.annual_rate, schedule.term_months) == (
        loan.id,
        Decimal(8000),
        Decimal(6),
        36,
    )
    assert schedule.monthly_payment == approved.monthly_payment
    items = schedule.installments
    assert [i.number for i in items] == list(range(1, 37))
    assert [i.due_date for i in items] == [add_months(approved.decided_at.date(), n) for n in range(1, 37)]
    assert items[0].interest == 40 and items[-1].remaining_balance == 0
    assert sum((i.principal for i in items), Decimal(0)) == 8000
    assert all(i.payment == i.principal + i.interest for i in items)
    assert schedule.total_payment == sum((i.payment for i in items), Decimal(0))
    assert schedule.total_interest == schedule.total_payment - 8000
    assert [i.status for i in items[:2]] == ["due", "upcoming"] and {i.paid_amount for i in items} == {0}

    paid = user.client.loans.make_loan_payment(id=loan.id, amount=approved.monthly_payment)
    assert paid.message == "Payment recorded"
    payment, after = paid.data.payment, paid.data.loan
    assert re.fullmatch(r"lp_[0-9a-f]{32}", payment.id) and payment.loan_id == loan.id
    assert (payment.amount, payment.interest_portion, payment.on_time) == (Decimal("243.38"), Decimal(40), True)
    assert payment.principal_portion + payment.interest_portion == payment.amount
    assert after.status == "active"
    assert after.outstanding_principal == 8000 - payment.principal_portion
    assert after.total_paid == payment.amount
    assert after.next_payment_due == add_months(approved.decided_at.date(), 2)
    first = user.client.loans.get_loan_schedule(id=loan.id).data.installments[0]
    assert (first.status, first.paid_amount) == ("paid", Decimal("243.38"))

    assert after.payoff_amount is not None
    with pytest.raises(meridian.BadRequestError) as too_much:
        user.client.loans.make_loan_payment(id=loan.id, amount=after.payoff_amount + CENT)
    assert [e["field"] for e in too_much.value.errors] == ["amount"]
    done = user.client.loans.make_loan_payment(id=loan.id, amount=after.payoff_amount)
    assert done.message == "Loan paid off"
    assert (done.data.loan.status, done.data.loan.outstanding_principal, done.data.loan.payoff_amount) == (
        "paid_off",
        Decimal(0),
        None,
    )
    assert done.data.loan.paid_off_at is not None
    assert done.data.loan.total_paid == payment.amount + after.payoff_amount
    with pytest.raises(meridian.ConflictError):
        user.client.loans.make_loan_payment(id=loan.id, amount="1")

    # The credit history table of the spec: event, amount, impact.
    events = [(e.event_type, e.amount, e.impact) for e in user.client.credit.list_credit_history().data.history]
    assert events == [
        ("loan_paid_off", Decimal(8000), "positive"),
        ("loan_payment", after.payoff_amount, "positive"),
        ("loan_payment", Decimal("243.38"), "positive"),
        ("loan_disbursed", Decimal(8000), "neutral"),
        ("credit_inquiry", None, "neutral"),
    ]


def test_reject_with_a_reason(admin: meridian.Client, user: User) -> None:
    loan = apply(user)
    rejected = admin.loans.admin_decide_loan(id=loan.id, decision="reject", reason="Income too low")
    assert rejected.data.status == "rejected" and rejected.data.decision_reason == "Income too low"
    assert rejected.data.approved_amount is None and rejected.data.decided_at is not None
    with pytest.raises(meridian.ConflictError):
        admin.loans.admin_decide_loan(id=loan.id, decision="approve", approved_rate=5)
    with pytest.raises(meridian.ConflictError):
        user.client.loans.get_loan_schedule(id=loan.id)
    latest = user.client.credit.list_credit_history().data.history[0]
    assert (latest.event_type, latest.loan_id, latest.impact, latest.amount) == ("loan_rejected", loan.id, "neutral", None)


def test_decisions_the_api_refuses(live: Live, admin: meridian.Client, user: User) -> None:
    without_rate = apply(user, amount="3000", months=12, rate=None)
    with pytest.raises(meridian.BadRequestError) as rate:
        admin.loans.admin_decide_loan(id=without_rate.id, decision="approve")
    assert [e["field"] for e in rate.value.errors] == ["approved_rate"]
    with pytest.raises(meridian.BadRequestError) as amount:
        admin.loans.admin_decide_loan(id=without_rate.id, decision="reject", approved_amount="100")
    assert [e["field"] for e in amount.value.errors] == ["approved_amount"]
    with pytest.raises(meridian.NotFoundError):
        admin.loans.admin_decide_loan(id="la_00000000000000000000000000000000", decision="reject")

    # Users cannot decide; staff cannot decide their own application.
    with pytest.raises(meridian.PermissionDeniedError):
        user.client.loans.admin_decide_loan(id=without_rate.id, decision="reject")
    staff = live.new_user("staff")
    admin.accounts.admin_update_user(id=staff.id, role="staff")
    own = apply(staff)
    with pytest.raises(meridian.PermissionDeniedError):
        staff.client.loans.admin_decide_loan(id=own.id, decision="approve")
    # Staff decide other people's applications.
    decided = staff.client.loans.admin_decide_loan(id=without_rate.id, decision="approve", approved_rate="12")
    assert (decided.data.status, decided.data.approved_amount, decided.data.approved_rate) == (
        "approved",
        Decimal(3000),
        Decimal(12),
    )
    assert user.client.loans.get_loan(id=without_rate.id).data.status == "approved"


# ---- Listing ---------------------------------------------------------------------------------------


def test_list_loans_is_newest_first_filtered_and_paged(user: User) -> None:
    loans = [apply(user, amount=str(2000 + i), months=12) for i in range(3)]
    user.client.loans.cancel_loan(id=loans[1].id)
    listed = user.client.loans.list_loans()
    assert [l.id for l in listed.data.loans] == [l.id for l in reversed(loans)]
    page = user.client.loans.list_loans(page=2, per_page=2)
    assert [l.id for l in page.data.loans] == [loans[0].id]
    p = page.data.pagination
    assert (p.page, p.per_page, p.total, p.pages, p.has_next, p.has_prev) == (2, 2, 3, 2, False, True)
    assert [l.id for l in user.client.loans.list_loans(status="cancelled").data.loans] == [loans[1].id]
    assert [l.id for l in user.client.loans.list_loans_iter(status="submitted")] == [loans[2].id, loans[0].id]
    past_the_end = user.client.loans.list_loans(page=5, per_page=2)
    assert past_the_end.data.loans == [] and past_the_end.data.pagination.total == 3
