"""AsyncClient through the SDK: a representative flow per group, `async for` over the `…_iter`s and concurrent `asyncio.gather` calls."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal
from typing import List

import pytest

import meridian
from meridian.models import LoginSuccess

from .support import PASSWORD, Live, Stub, answer_together, random_wallet, unique_email


@dataclass
class AsyncUser:
    """A registered user and an `AsyncClient` signed in as them."""

    client: meridian.AsyncClient
    email: str
    id: str
    login: LoginSuccess


async def new_user(live: Live, prefix: str, *, page_size: int = 100) -> AsyncUser:
    """Registers a fresh user and signs a new async client in as them."""
    client = meridian.AsyncClient(live.base_url, page_size=page_size)
    email = unique_email(prefix)
    registered = await client.auth.register(email=email, password=PASSWORD)
    login = await client.auth.login(email=email, password=PASSWORD)
    assert isinstance(login, LoginSuccess)
    return AsyncUser(client, email, registered.user.id, login)


async def signed_in_admin(live: Live) -> meridian.AsyncClient:
    """An async client signed in as the module's admin (the `admin` fixture registered it)."""
    admin = meridian.AsyncClient(live.base_url)
    login = await admin.auth.login(email=live.admin_email, password=PASSWORD)
    assert isinstance(login, LoginSuccess) and login.user.role == "admin"
    return admin


def test_async_auth_and_system(live: Live) -> None:
    async def flow() -> None:
        client = meridian.AsyncClient(live.base_url)
        health = await client.system.get_health()
        assert health.status == "healthy"

        email = unique_email("async-auth")
        registered = await client.auth.register(email=email, password=PASSWORD)
        status = await client.auth.get_verification_status(email=email)
        assert (registered.user.status, status.status) == ("pending", "pending")
        with pytest.raises(meridian.AuthenticationError):
            await client.accounts.get_current_user()
        login = await client.auth.login(email=email, password=PASSWORD)
        assert isinstance(login, LoginSuccess)
        assert (await client.accounts.get_current_user()).id == registered.user.id

        resumed = meridian.AsyncClient(live.base_url)
        await resumed.resume_session("not-an-access-token", login.tokens.refresh_token)
        assert (await resumed.accounts.get_current_user()).email == email
        assert resumed.attempts == 3  # refused, refreshed, sent again

        out = await client.auth.logout()
        assert out.message == "Logout successful"
        with pytest.raises(meridian.AuthenticationError):
            await client.accounts.get_current_user()
        # The resumed client carried the same session, which logout ended.
        with pytest.raises(meridian.AuthenticationError):
            await resumed.accounts.get_current_user()

    asyncio.run(flow())


def test_async_accounts_and_client_keys(live: Live) -> None:
    async def flow() -> None:
        user = await new_user(live, "async-accounts")
        wallet = random_wallet()
        updated = await user.client.accounts.update_current_user(display_name="Async Ada", wallet_address=wallet)
        assert updated.display_name == "Async Ada" and (updated.wallet_address or "").lower() == wallet
        profile = await user.client.accounts.get_profile()
        assert profile.data.profile.full_name == "Async Ada"
        sessions = [s async for s in user.client.accounts.list_sessions_iter(active=True)]
        assert [s.current for s in sessions] == [True]

        key = await user.client.client_keys.create_client_key(name="async", scopes=["trading:read"])
        assert [k.client_id for k in await user.client.client_keys.list_client_keys()] == [key.client_id]
        service = meridian.AsyncClient(live.base_url, client_id=key.client_id, client_secret=key.client_secret)
        balances = await service.trading.get_balances()
        assert [(b.asset, b.free) for b in balances.balances] == [("USDT", Decimal(10000))]
        await user.client.client_keys.delete_client_key(id=key.client_id)
        assert await user.client.client_keys.list_client_keys() == []

    asyncio.run(flow())


def test_async_trading_with_async_for_over_pages(live: Live) -> None:
    async def flow() -> None:
        user = await new_user(live, "async-trading", page_size=2)
        trading = user.client.trading
        price = (await trading.get_price(symbol="ETHUSDT")).price
        resting = await trading.place_order(
            symbol="ETHUSDT", side="BUY", type="LIMIT", quantity="0.1", price=(price / 2).quantize(Decimal("0.01"))
        )
        assert resting.order.status == "NEW"
        filled = [
            (await trading.place_order(symbol="SOLUSDT", side="BUY", type="MARKET", quantity="0.1")).order for _ in range(4)
        ]
        canceled = await trading.cancel_order(id=resting.order.order_id)
        assert canceled.order.status == "CANCELED"

        before = user.client.attempts
        seen = [order.order_id async for order in trading.list_orders_iter()]
        assert seen == [o.order_id for o in reversed(filled)] + [resting.order.order_id]
        assert user.client.attempts - before == 3  # five orders, two a page
        trades = [t async for t in trading.list_trades_iter(symbol="SOLUSDT")]
        assert [t.order_id for t in trades] == [str(o.order_id) for o in reversed(filled)]

        # Leaving an async iteration early is fine, and the client carries on.
        async for first in trading.list_orders_iter(status="FILLED"):
            assert first.order_id == filled[-1].order_id
            break
        balances = {b.asset: b for b in (await trading.get_balances()).balances}
        assert balances["USDT"].free == 10000 - sum((o.cumulative_quote_qty or Decimal(0)) for o in filled)
        assert balances["SOL"].free == sum((o.executed_qty - (o.fee or Decimal(0))) for o in filled)
        portfolio = (await trading.get_portfolio()).portfolio
        assert portfolio.total_value == portfolio.cash + portfolio.positions_value
        book = await trading.get_order_book(symbol="BTCUSDT", limit=5)
        assert len(book.bids) == 5

    asyncio.run(flow())


def test_async_credit_and_loans(live: Live, admin: meridian.Client) -> None:
    async def flow() -> None:
        user = await new_user(live, "async-loans", page_size=2)
        async_admin = await signed_in_admin(live)
        score = (await user.client.credit.calculate_credit_score()).data
        assert (await user.client.credit.get_credit_score()).data.credit_score_id == score.credit_score_id
        quote = (await user.client.loans.calculate_loan(amount="10000", rate="5.5", term_months=36)).data
        assert quote.monthly_payment == Decimal("301.96")

        loans = [
            (await user.client.loans.apply_for_loan(loan_type="personal", requested_amount=2000 + i, requested_term_months=12)).data
            for i in range(3)
        ]
        await user.client.loans.cancel_loan(id=loans[0].id)
        approved = (await async_admin.loans.admin_decide_loan(id=loans[1].id, decision="approve", approved_rate="10")).data
        assert approved.status == "approved" and approved.monthly_payment is not None
        schedule = (await user.client.loans.get_loan_schedule(id=loans[1].id)).data
        assert len(schedule.installments) == 12
        paid = (await user.client.loans.make_loan_payment(id=loans[1].id, amount=approved.monthly_payment)).data
        assert paid.loan.status == "active" and paid.payment.amount == approved.monthly_payment

        assert [loan.id async for loan in user.client.loans.list_loans_iter()] == [l.id for l in reversed(loans)]
        assert [loan.status async for loan in user.client.loans.list_loans_iter()] == ["submitted", "active", "cancelled"]
        events = [e.event_type async for e in user.client.credit.list_credit_history_iter()]
        assert events[:3] == ["loan_payment", "loan_disbursed", "loan_application_cancelled"]
        assert events.count("credit_inquiry") == 3

    asyncio.run(flow())


def test_gather_places_orders_concurrently_and_the_wallet_adds_up(live: Live) -> None:
    async def flow() -> None:
        user = await new_user(live, "async-gather")
        orders, (price, me) = await asyncio.gather(
            asyncio.gather(
                *(user.client.trading.place_order(symbol="SOLUSDT", side="BUY", type="MARKET", quantity="0.1") for _ in range(6))
            ),
            asyncio.gather(user.client.trading.get_price(symbol="BTCUSDT"), user.client.accounts.get_current_user()),
        )
        assert price.symbol == "BTCUSDT" and me.id == user.id
        placed = [o.order for o in orders]
        assert len({o.order_id for o in placed}) == 6 and {o.status for o in placed} == {"FILLED"}
        balances = {b.asset: b for b in (await user.client.trading.get_balances()).balances}
        spent = sum((o.cumulative_quote_qty or Decimal(0) for o in placed), Decimal(0))
        assert balances["USDT"].free == 10000 - spent
        assert balances["SOL"].free == Decimal("0.6") - Decimal("0.0006")
        assert {o.order_id for o in (await user.client.trading.list_orders()).orders} == {o.order_id for o in placed}

    asyncio.run(flow())


def test_gather_sends_the_requests_at_the_same_time(stub: Stub) -> None:
    # The stub answers only when all five requests are in flight together; a client that sent
    # them one after another would get 503s (and, with max_retries=0, errors).
    stub.handler = answer_together(5)

    async def flow() -> List[str]:
        client = meridian.AsyncClient(stub.base_url, max_retries=0)
        answers = await asyncio.gather(*(client.system.get_health() for _ in range(5)))
        return [a.status for a in answers]

    assert asyncio.run(flow()) == ["healthy"] * 5
    assert len(stub.requests) == 5
