"""Pagination through the SDK: every `…_iter` yields each item exactly once across pages, lazily, in the list's order."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import List

import meridian

from .support import PASSWORD, Live, User, success


def place_orders(user: User, count: int) -> List[int]:
    """`count` orders, alternately a filled MARKET buy and a resting LIMIT buy; their ids, oldest first."""
    price = (user.client.trading.get_price(symbol="ETHUSDT").price / 2).quantize(Decimal("0.01"))
    ids = []
    for i in range(count):
        if i % 2:
            placed = user.client.trading.place_order(symbol="ETHUSDT", side="BUY", type="LIMIT", quantity="0.01", price=price)
        else:
            placed = user.client.trading.place_order(symbol="SOLUSDT", side="BUY", type="MARKET", quantity="0.1")
        ids.append(placed.order.order_id)
    return ids


def test_list_orders_iter_yields_every_order_exactly_once_across_pages(live: Live) -> None:
    user = live.new_user("pages", page_size=2)
    placed = place_orders(user, 7)
    before = user.client.attempts
    seen = [order.order_id for order in user.client.trading.list_orders_iter()]
    assert seen == list(reversed(placed))  # all of them, once each, newest first
    assert user.client.attempts - before == 4  # ceil(7 / 2) pages, no more

    # Filters go to every page.
    resting = [order.order_id for order in user.client.trading.list_orders_iter(status="NEW")]
    assert resting == [i for i in reversed(placed) if placed.index(i) % 2]
    assert [o.order_id for o in user.client.trading.list_orders_iter(symbol="SOLUSDT", side="BUY", status="FILLED")] == [
        i for i in reversed(placed) if placed.index(i) % 2 == 0
    ]
    assert list(user.client.trading.list_orders_iter(side="SELL")) == []


def test_pages_are_fetched_as_the_loop_reaches_them(live: Live) -> None:
    user = live.new_user("lazy", page_size=2)
    place_orders(user, 7)
    before = user.client.attempts
    orders = user.client.trading.list_orders_iter()
    assert user.client.attempts == before  # nothing fetched yet
    next(orders)
    # The first page, and at most the next one (one item of look-ahead).
    assert user.client.attempts - before in (1, 2)
    next(orders), next(orders)
    assert user.client.attempts - before in (2, 3)
    assert len(list(orders)) == 4
    assert user.client.attempts - before == 4


def test_an_order_placed_during_iteration_is_neither_repeated_nor_skipped(live: Live) -> None:
    user = live.new_user("shift", page_size=2)
    placed = place_orders(user, 6)
    orders = user.client.trading.list_orders_iter()
    first = next(orders)
    # The new order is listed first and pushes every older one down by one place, so a later
    # page starts with an order already yielded: the iterator skips it (by id).
    newest = user.client.trading.place_order(symbol="SOLUSDT", side="BUY", type="MARKET", quantity="0.1").order.order_id
    rest = [order.order_id for order in orders]
    assert [first.order_id] + rest == list(reversed(placed))
    assert newest not in rest


def test_trades_loans_and_credit_history_iterators(live: Live) -> None:
    user = live.new_user("iters", page_size=2)
    for _ in range(5):
        user.client.trading.place_order(symbol="SOLUSDT", side="BUY", type="MARKET", quantity="0.1")
    trades = [t.id for t in user.client.trading.list_trades_iter()]
    assert trades == [t.id for t in user.client.trading.list_trades(limit=100).trades]
    assert len(trades) == len(set(trades)) == 5
    assert [t.id for t in user.client.trading.list_trades_iter(symbol="SOLUSDT", side="BUY")] == trades
    assert list(user.client.trading.list_trades_iter(symbol="BTCUSDT")) == []

    loans = [
        user.client.loans.apply_for_loan(loan_type="personal", requested_amount=1000 + i, requested_term_months=12).data.id
        for i in range(5)
    ]
    user.client.loans.cancel_loan(id=loans[0])
    assert [loan.id for loan in user.client.loans.list_loans_iter()] == list(reversed(loans))
    assert [loan.id for loan in user.client.loans.list_loans_iter(status="submitted")] == list(reversed(loans[1:]))

    history = [e.id for e in user.client.credit.list_credit_history_iter()]
    assert history == [e.id for e in user.client.credit.list_credit_history(per_page=100).data.history]
    assert len(history) == len(set(history)) == 6  # five inquiries and a cancellation


def test_events_and_sessions_iterators(live: Live) -> None:
    user = live.new_user("sessions", page_size=2)
    for _ in range(2):
        success(live.client().auth.login(email=user.email, password=PASSWORD))
    sessions = [s.id for s in user.client.accounts.list_sessions_iter()]
    assert sessions == [s.id for s in user.client.accounts.list_sessions(limit=100).sessions]
    assert len(sessions) == len(set(sessions)) == 3

    for _ in range(3):
        user.client.accounts.get_current_user()
    events = list(user.client.accounts.list_events_iter())
    ids = [e.id for e in events]
    assert len(ids) == len(set(ids)) and None not in ids
    # Newest first; the three reads (and the session listings before them) are all there.
    assert [e.service for e in events[:3]] == ["get_current_user"] * 3
    assert [e.service for e in events].count("list_sessions") >= 2


def test_admin_iterators(live: Live, admin: meridian.Client) -> None:
    marker = secrets.token_hex(4)
    users = [live.new_user(f"admin-iter-{marker}") for _ in range(3)]
    paging_admin = meridian.Client(live.base_url, page_size=2)
    success(paging_admin.auth.login(email=live.admin_email, password=PASSWORD))

    found = [u.id for u in paging_admin.accounts.admin_list_users_iter(search=marker)]
    assert found == [u.id for u in reversed(users)]
    assert [u.id for u in paging_admin.accounts.admin_list_users_iter(search=marker, role="staff")] == []

    owner = users[0]
    keys = [owner.client.client_keys.create_client_key(name=f"k{i}").client_id for i in range(5)]
    listed = [k.client_id for k in paging_admin.client_keys.admin_list_client_keys_iter(user_id=owner.id)]
    assert listed == list(reversed(keys))

    for _ in range(2):
        success(live.client().auth.login(email=owner.email, password=PASSWORD))
    sessions = [s.id for s in paging_admin.accounts.admin_list_sessions_iter(user_id=owner.id)]
    assert sessions == [s.id for s in admin.accounts.admin_list_sessions(user_id=owner.id, limit=100).sessions]
    assert len(set(sessions)) == 3


def test_a_page_size_above_the_apis_maximum_is_capped(live: Live) -> None:
    user = live.new_user("capped", page_size=1000)
    placed = place_orders(user, 3)
    before = user.client.attempts
    assert [o.order_id for o in user.client.trading.list_orders_iter()] == list(reversed(placed))
    assert user.client.attempts - before == 1  # one page (of at most 100), not a 400
