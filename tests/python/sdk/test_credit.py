"""Credit group through the SDK: the scorecard calculation, its 24-hour reuse, the latest score and the credit history."""

from __future__ import annotations

import datetime
import re
from decimal import ROUND_HALF_UP, Decimal

import pytest

import meridian
from meridian.models import CreditScore, CreditScoreRange

from .support import SEED_WALLET, User, money, random_wallet

RATINGS = [(800, "Exceptional"), (740, "Very Good"), (670, "Good"), (580, "Fair"), (300, "Poor")]


def band(score: int) -> str:
    return next(name for floor, name in RATINGS if score >= floor)


def assert_scorecard(score: CreditScore) -> None:
    """Seed 003's score shape and Meridian's transparent scorecard arithmetic."""
    assert re.fullmatch(r"cs_[0-9a-f]{32}", score.credit_score_id)
    assert 300 <= score.score <= 850
    assert score.score_range == CreditScoreRange(min=300, max=850)
    assert score.rating == band(score.score)
    assert score.model_version
    assert score.factors and all(f.impact in ("positive", "negative") and f.description for f in score.factors)
    assert all(isinstance(r, str) and r for r in score.recommendations)
    assert score.components is not None
    parts = score.components.to_dict()
    assert set(parts) == {"payment_history", "amounts_owed", "length_of_history", "new_credit", "credit_mix"}
    assert sum(p["weight"] for p in parts.values()) == 100
    for part in parts.values():
        assert 0 <= money(part["points"]) <= money(part["max_points"]) == Decimal(550) * part["weight"] / 100
    points = sum((p["points"] for p in parts.values()), Decimal(0))
    assert score.score == int((300 + points).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def test_there_is_no_score_before_the_first_calculation(user: User) -> None:
    with pytest.raises(meridian.NotFoundError) as missing:
        user.client.credit.get_credit_score()
    assert "calculate-score" in missing.value.message


def test_calculate_score_follows_the_scorecard(user: User) -> None:
    before = datetime.datetime.now(datetime.timezone.utc)
    answer = user.client.credit.calculate_credit_score(wallet_address=SEED_WALLET)
    assert answer.success is True
    score = answer.data
    assert_scorecard(score)
    assert score.reused is False and score.wallet_address == SEED_WALLET
    assert before - datetime.timedelta(seconds=1) <= score.calculated_at <= datetime.datetime.now(datetime.timezone.utc)
    # A new account: no history length yet, and the factor says so.
    assert score.components is not None and score.components.length_of_history.points == 0
    assert "Short credit history" in [f.factor for f in score.factors]


def test_a_score_is_reused_for_24_hours_unless_recalculation_is_forced(user: User) -> None:
    credit = user.client.credit
    first = credit.calculate_credit_score().data
    reused = credit.calculate_credit_score().data
    assert reused.reused is True
    assert (reused.credit_score_id, reused.calculated_at, reused.score) == (first.credit_score_id, first.calculated_at, first.score)

    forced = credit.calculate_credit_score(force_recalculation=True).data
    assert forced.reused is False and forced.credit_score_id != first.credit_score_id
    assert forced.calculated_at >= first.calculated_at
    assert_scorecard(forced)

    latest = credit.get_credit_score()
    assert latest.success is True
    assert latest.data.reused is True
    assert (latest.data.credit_score_id, latest.data.score) == (forced.credit_score_id, forced.score)


def test_the_profile_wallet_is_the_default_and_checksums_are_enforced(user: User) -> None:
    linked = user.client.accounts.update_current_user(wallet_address=random_wallet()).wallet_address
    assert user.client.credit.calculate_credit_score().data.wallet_address == linked
    with pytest.raises(meridian.BadRequestError) as bad:
        user.client.credit.calculate_credit_score(wallet_address=SEED_WALLET.lower().replace("0x742d", "0x742D"))
    assert [e["field"] for e in bad.value.errors] == ["walletAddress"]


def test_history_records_the_loan_events_newest_first(user: User) -> None:
    credit = user.client.credit
    empty = credit.list_credit_history()
    assert empty.data.history == []
    assert (empty.data.pagination.page, empty.data.pagination.per_page, empty.data.pagination.total) == (1, 20, 0)

    first = user.client.loans.apply_for_loan(loan_type="personal", requested_amount="2000", requested_term_months=12).data
    second = user.client.loans.apply_for_loan(loan_type="auto", requested_amount="6000", requested_term_months=24).data
    user.client.loans.cancel_loan(id=first.id)

    history = credit.list_credit_history()
    assert [(e.event_type, e.loan_id) for e in history.data.history] == [
        ("loan_application_cancelled", first.id),
        ("credit_inquiry", second.id),
        ("credit_inquiry", first.id),
    ]
    inquiry = history.data.history[-1]
    assert (inquiry.impact, inquiry.description, inquiry.amount) == ("neutral", "Credit check for loan application", None)
    assert re.fullmatch(r"ch_[0-9a-f]{32}", inquiry.id)
    dates = [e.event_date for e in history.data.history]
    assert dates == sorted(dates, reverse=True)
    # An application also calculated the score the loan recorded.
    assert credit.get_credit_score().data.score == first.credit_score_at_application

    page = credit.list_credit_history(page=2, per_page=2)
    assert [e.id for e in page.data.history] == [inquiry.id]
    p = page.data.pagination
    assert (p.page, p.per_page, p.total, p.pages, p.has_next, p.has_prev) == (2, 2, 3, 2, False, True)
    assert [e.id for e in credit.list_credit_history_iter()] == [e.id for e in history.data.history]

    with pytest.raises(meridian.BadRequestError) as too_many:
        credit.list_credit_history(per_page=101)
    assert [e["field"] for e in too_many.value.errors] == ["per_page"]
