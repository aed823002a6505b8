"""One `meridian.Client` shared by threads: concurrent calls overlap, return their own answers, and share one session refresh."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Callable, List, TypeVar, get_args

import meridian
from meridian.models import TradingSymbol

from .support import Live, Stub, User, answer_together

T = TypeVar("T")


def in_threads(count: int, work: Callable[[int], T]) -> List[T]:
    """`work(0)` … `work(count - 1)`, each in its own thread, started together (a barrier)."""
    start = threading.Barrier(count, timeout=30)

    def run(i: int) -> T:
        start.wait()
        return work(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def test_threads_placing_orders_get_their_own_orders_and_the_wallet_adds_up(user: User) -> None:
    client = user.client
    placed = in_threads(
        8,
        lambda i: client.trading.place_order(
            symbol="SOLUSDT", side="BUY", type="MARKET", quantity="0.1", client_order_id=f"thread-{i}"
        ).order,
    )
    assert [o.client_order_id for o in placed] == [f"thread-{i}" for i in range(8)]
    assert len({o.order_id for o in placed}) == 8 and {o.status for o in placed} == {"FILLED"}
    listed = {o.order_id: o for o in client.trading.list_orders().orders}
    assert set(listed) == {o.order_id for o in placed}
    assert all(listed[o.order_id] == o for o in placed)

    balances = {b.asset: b for b in client.trading.get_balances().balances}
    spent = sum((o.cumulative_quote_qty or Decimal(0) for o in placed), Decimal(0))
    assert balances["USDT"].free == 10000 - spent
    assert balances["SOL"].free == Decimal("0.8") - Decimal("0.0008")


def test_threads_reading_different_symbols_get_their_own_answers(live: Live) -> None:
    client = live.client()
    symbols: List[TradingSymbol] = list(get_args(TradingSymbol))
    prices = in_threads(len(symbols), lambda i: client.trading.get_price(symbol=symbols[i]))
    assert [p.symbol for p in prices] == symbols
    tickers = in_threads(len(symbols), lambda i: client.trading.get_ticker(symbol=symbols[i]))
    assert [t.symbol for t in tickers] == symbols
    assert client.attempts == 2 * len(symbols)


def test_concurrent_calls_after_a_refused_token_share_one_refresh(live: Live, user: User) -> None:
    # A resumed session whose access token the server refuses: every thread gets a 401, and
    # exactly one of them may spend the refresh token. A second refresh with the same token would
    # be a reuse, which revokes the session, and the other threads' calls would fail.
    client = live.client()
    client.resume_session("not-an-access-token", user.login.tokens.refresh_token)
    ids = in_threads(8, lambda i: client.accounts.get_current_user().id)
    assert ids == [user.id] * 8
    assert client.accounts.get_current_user().id == user.id
    # 8 calls, exactly one refresh, a resend for each call that met the old token, the last call.
    assert 11 <= client.attempts <= 18


def test_threads_iterating_pages_at_once_each_see_every_order(live: Live) -> None:
    user = live.new_user("thread-pages", page_size=2)
    ids = [
        user.client.trading.place_order(symbol="SOLUSDT", side="BUY", type="MARKET", quantity="0.1").order.order_id
        for _ in range(5)
    ]
    seen = in_threads(4, lambda i: [o.order_id for o in user.client.trading.list_orders_iter()])
    assert seen == [list(reversed(ids))] * 4


def test_calls_from_threads_are_in_flight_at_the_same_time(stub: Stub) -> None:
    # The stub answers only when all six requests are in flight together: a client that held
    # the GIL or a single connection during a call would serialise them and get 503s.
    stub.handler = answer_together(6)
    client = meridian.Client(stub.base_url, max_retries=0)
    statuses = in_threads(6, lambda i: client.system.get_health().status)
    assert statuses == ["healthy"] * 6
    assert len(stub.requests) == 6 and client.attempts == 6
