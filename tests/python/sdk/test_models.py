"""Models of the SDK: exact Decimal money, aware datetimes and dates, snake_case to_dict, value equality and an evaluable repr."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, Dict

import pytest

import meridian
from meridian import models
from meridian.models import (
    AccountBillingAddressUpdate,
    MarketPrice,
    TradingBalance,
    TradingBalancesResponse,
    TradingOrder,
)

from .support import Live, User, money


def walk(value: Any, path: str = "") -> None:
    """No float anywhere, every datetime aware and in UTC."""
    assert not isinstance(value, float), f"{path} is a float"
    if isinstance(value, datetime.datetime):
        assert value.tzinfo is not None and value.utcoffset() == datetime.timedelta(0), path
    elif isinstance(value, dict):
        for key, item in value.items():
            walk(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            walk(item, f"{path}[{i}]")


def namespace() -> Dict[str, Any]:
    """What a model's repr names: the model classes, Decimal and the datetime module."""
    return {**{name: getattr(models, name) for name in models.__all__}, "Decimal": Decimal, "datetime": datetime}


def test_money_is_decimal_and_timestamps_are_aware_datetimes(user: User) -> None:
    placed = user.client.trading.place_order(symbol="BTCUSDT", side="BUY", type="MARKET", quote_order_qty="100")
    order, trade = placed.order, placed.trade
    assert trade is not None
    for amount in (order.price, order.executed_qty, order.cumulative_quote_qty, order.fee, trade.quantity, trade.quote_qty):
        money(amount)
    # Exact arithmetic: the fill's quote amount is quantity × price to the last digit.
    assert trade.quote_qty == trade.quantity * trade.price
    assert isinstance(order.transact_time, int) and isinstance(order.order_id, int)
    assert isinstance(trade.executed_at, datetime.datetime) and trade.executed_at.utcoffset() == datetime.timedelta(0)
    walk(placed.to_dict())
    walk(user.client.trading.get_portfolio().to_dict())
    walk(user.client.trading.get_ticker(symbol="ETHUSDT").to_dict())


def test_calendar_dates_are_dates(admin: meridian.Client, user: User) -> None:
    loan = user.client.loans.apply_for_loan(loan_type="personal", requested_amount="1200", requested_term_months=12, requested_rate="0")
    approved = admin.loans.admin_decide_loan(id=loan.data.id, decision="approve").data
    assert type(approved.next_payment_due) is datetime.date
    (first, *_) = user.client.loans.get_loan_schedule(id=loan.data.id).data.installments
    assert type(first.due_date) is datetime.date and first.due_date == approved.next_payment_due
    assert first.payment == Decimal(100) and first.interest == 0
    walk(approved.to_dict())


def test_to_dict_uses_attribute_names_and_keeps_types(user: User) -> None:
    placed = user.client.trading.place_order(symbol="SOLUSDT", side="BUY", type="MARKET", quantity="0.5", client_order_id="dict-1")
    as_dict = placed.to_dict()
    assert set(as_dict) == {"message", "trade", "order"}
    order = as_dict["order"]
    assert isinstance(order, dict)
    assert {"order_id", "client_order_id", "orig_qty", "cumulative_quote_qty", "transact_time", "created_at"} <= set(order)
    assert not {"orderId", "clientOrderId", "origQty"} & set(order)
    assert order["client_order_id"] == "dict-1" and order["orig_qty"] == Decimal("0.5")
    assert order["time_in_force"] is None  # absent optionals are None, never missing
    assert isinstance(order["created_at"], datetime.datetime)
    assert as_dict["trade"]["order_id"] == str(order["order_id"])
    assert set(order) == {field for field in TradingOrder.__init__.__annotations__ if field != "return"}

    balances = user.client.trading.get_balances().to_dict()
    assert [b["asset"] for b in balances["balances"]] == ["USDT", "SOL"]
    assert all(isinstance(b["free"], Decimal) for b in balances["balances"])


def test_models_compare_by_value(user: User) -> None:
    placed = user.client.trading.place_order(symbol="SOLUSDT", side="BUY", type="MARKET", quantity="0.5")
    again = user.client.trading.get_order(id=placed.order.order_id).order
    assert again == placed.order and not (again != placed.order)
    assert again is not placed.order

    other = user.client.trading.place_order(symbol="SOLUSDT", side="BUY", type="MARKET", quantity="0.5").order
    assert other != placed.order
    # Another type never equals, even with the same fields.
    assert placed.order != placed.order.to_dict()
    assert placed.order.__eq__(placed.order.to_dict()) is NotImplemented
    with pytest.raises(TypeError):
        hash(placed.order)


def test_keyword_construction_and_equality_with_decoded_models() -> None:
    balance = TradingBalance(asset="USDT", free=Decimal("10000"), locked=Decimal("0"), total=Decimal("10000"))
    response = TradingBalancesResponse(balances=[balance])
    assert response.to_dict() == {"balances": [{"asset": "USDT", "free": Decimal("10000"), "locked": Decimal("0"), "total": Decimal("10000")}]}
    assert response == TradingBalancesResponse(balances=[TradingBalance(asset="USDT", free=Decimal(10000), locked=Decimal(0), total=Decimal(10000))])
    assert response != TradingBalancesResponse(balances=[])
    with pytest.raises(TypeError):
        TradingBalance(asset="USDT", free=Decimal(1), locked=Decimal(0))  # type: ignore[call-arg]


def test_repr_is_evaluable_back_to_an_equal_model(live: Live, user: User) -> None:
    samples = [
        user.client.trading.place_order(symbol="BTCUSDT", side="BUY", type="MARKET", quote_order_qty="25"),
        user.client.trading.get_order_book(symbol="ETHUSDT", limit=5),
        user.client.credit.calculate_credit_score(),
        user.client.accounts.get_current_user(),
        live.client().system.get_health(),
    ]
    for sample in samples:
        text = repr(sample)
        assert text.startswith(type(sample).__name__ + "(")
        assert eval(text, namespace()) == sample  # noqa: S307 - our own repr


def test_decimal_arguments_keep_their_digits(user: User) -> None:
    # Exponent notation and trailing zeros are sent as plain digits.
    calc = user.client.loans.calculate_loan(amount=Decimal("1E+4"), rate=Decimal("5.50"), term_months=36).data
    assert (calc.loan_amount, calc.interest_rate, calc.monthly_payment) == (Decimal(10000), Decimal("5.5"), Decimal("301.96"))
    amount, rate = Decimal("12345.67"), Decimal("7.1234")
    calc = user.client.loans.calculate_loan(amount=amount, rate=rate, term_months=84).data
    assert (calc.loan_amount, calc.interest_rate) == (amount, rate)


def test_free_form_data_round_trips_with_exact_numbers(user: User) -> None:
    data = {"income": Decimal("5432.10"), "years": 3, "tags": ["a", "b"], "employer": {"name": "Acme", "remote": True}}
    loan = user.client.loans.apply_for_loan(
        loan_type="personal", requested_amount="1000", requested_term_months=6, application_data=data
    ).data
    assert loan.application_data == data
    assert loan.application_data is not None and isinstance(loan.application_data["income"], Decimal)


def test_model_arguments_are_sent_by_wire_name(user: User) -> None:
    address = AccountBillingAddressUpdate(zip_code="75001", country="FR", address="1 Rue de Rivoli")
    updated = user.client.accounts.update_current_user(billing_address=address)
    assert (updated.billing_address.zip_code, updated.billing_address.country, updated.billing_address.address) == (
        "75001",
        "FR",
        "1 Rue de Rivoli",
    )
    # A plain mapping must use the wire names: a snake_case key is refused before sending.
    sent = user.client.attempts
    with pytest.raises(meridian.InvalidRequestError, match="zipCode"):
        user.client.accounts.update_current_user(billing_address={"zip_code": "75002"})
    assert user.client.attempts == sent


def test_enums_are_plain_strings(live: Live) -> None:
    price = live.client().trading.get_price(symbol="DOGEUSDT")
    assert isinstance(price, MarketPrice)
    assert type(price.symbol) is str and price.symbol == "DOGEUSDT"
