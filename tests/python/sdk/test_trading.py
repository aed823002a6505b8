"""Trading group through the SDK: MARKET and LIMIT orders, cancels, wallet, positions, portfolio, history and market data."""

from __future__ import annotations

import datetime
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import List, get_args

import pytest

import meridian
from meridian.models import MarketInterval, TradingOrder, TradingPlaceOrderResponse, TradingSymbol, TradingTimeInForce

from .support import Live, User, money

FEE = Decimal("0.001")
INITIAL = Decimal("10000")
CENT = Decimal("0.01")
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
SYMBOLS: List[str] = list(get_args(TradingSymbol))
INTERVAL_MS = {"1m": 60_000, "5m": 300_000, "15m": 900_000, "1h": 3_600_000, "4h": 14_400_000, "1d": 86_400_000}


def balances(user: User) -> dict[str, tuple[Decimal, Decimal]]:
    """Asset → (free, locked), checking total = free + locked."""
    out: dict[str, tuple[Decimal, Decimal]] = {}
    for b in user.client.trading.get_balances().balances:
        assert b.total == b.free + b.locked, b
        out[b.asset] = (b.free, b.locked)
    return out


def half_price(user: User, symbol: TradingSymbol) -> Decimal:
    """A limit price far below the market (never fills during a test), on the 0.01 tick."""
    return (user.client.trading.get_price(symbol=symbol).price / 2).quantize(CENT)


def now_ms() -> int:
    """Milliseconds since the Unix epoch, now."""
    return (datetime.datetime.now(datetime.timezone.utc) - EPOCH) // datetime.timedelta(milliseconds=1)


def assert_filled_trade(placed: TradingPlaceOrderResponse) -> None:
    """The fill of a fully executed order matches the order."""
    order, trade = placed.order, placed.trade
    assert order.status == "FILLED" and trade is not None
    assert trade.order_id == str(order.order_id)
    assert (trade.symbol, trade.side, trade.type, trade.status) == (order.symbol, order.side, order.type, "FILLED")
    assert trade.quantity == order.executed_qty
    assert trade.quote_qty == order.cumulative_quote_qty == trade.quantity * trade.price
    assert trade.fee == order.fee and trade.fee_asset == order.fee_asset
    assert trade.is_maker is False
    assert trade.id.startswith("trade-")


# ---- Orders --------------------------------------------------------------------------------


def test_market_buy_by_quote_amount_fills_at_the_feed_price(user: User) -> None:
    placed = user.client.trading.place_order(symbol="BTCUSDT", side="BUY", type="MARKET", quote_order_qty=Decimal("100"))
    assert placed.message == "Order placed successfully"
    order = placed.order
    assert (order.symbol, order.side, order.type, order.time_in_force) == ("BTCUSDT", "BUY", "MARKET", None)
    assert order.orig_quote_order_qty == 100
    price = money(order.price)
    # The quantity is the quote amount at the fill price, rounded down to the 0.00001 step.
    assert order.executed_qty == (Decimal(100) / price).quantize(Decimal("0.00001"), rounding=ROUND_DOWN)
    assert order.orig_qty == order.executed_qty
    assert order.fee == order.executed_qty * FEE and order.fee_asset == "BTC"  # BUY: fee in the base asset
    assert_filled_trade(placed)
    assert order.created_at is not None
    assert order.transact_time == (order.created_at - EPOCH) // datetime.timedelta(milliseconds=1)

    spent = money(order.cumulative_quote_qty)
    held = order.executed_qty - money(order.fee)
    assert balances(user) == {"USDT": (INITIAL - spent, Decimal(0)), "BTC": (held, Decimal(0))}

    (position,) = user.client.trading.get_positions().positions
    assert (position.symbol, position.asset, position.quantity, position.cost_basis) == ("BTCUSDT", "BTC", held, spent)
    assert abs(position.average_price - spent / held) < Decimal("0.00000001")
    assert position.market_value == held * position.current_price
    assert position.unrealized_pnl == position.market_value - position.cost_basis

    portfolio = user.client.trading.get_portfolio().portfolio
    assert (portfolio.quote_asset, portfolio.initial_balance, portfolio.cash) == ("USDT", INITIAL, INITIAL - spent)
    assert portfolio.total_value == portfolio.cash + portfolio.positions_value
    assert portfolio.total_pnl == portfolio.realized_pnl + portfolio.unrealized_pnl == portfolio.total_value - INITIAL
    assert portfolio.realized_pnl == 0
    assert portfolio.total_pnl_percent == (portfolio.total_pnl / INITIAL * 100).quantize(CENT, rounding=ROUND_HALF_UP)


def test_market_sell_charges_the_fee_in_usdt_and_realises_pnl(user: User) -> None:
    bought = user.client.trading.place_order(symbol="SOLUSDT", side="BUY", type="MARKET", quantity="2")
    assert bought.order.executed_qty == 2 and bought.order.fee == Decimal("0.002")
    before = balances(user)
    sold = user.client.trading.place_order(symbol="SOLUSDT", side="SELL", type="MARKET", quantity="1")
    assert_filled_trade(sold)
    trade = sold.trade
    assert trade is not None and trade.quote_qty is not None and trade.fee is not None
    assert trade.fee_asset == "USDT" and trade.fee == trade.quote_qty * FEE
    after = balances(user)
    assert after["USDT"][0] == before["USDT"][0] + trade.quote_qty - trade.fee
    assert after["SOL"] == (Decimal("0.998"), Decimal(0))
    portfolio = user.client.trading.get_portfolio().portfolio
    assert portfolio.realized_pnl != 0
    assert portfolio.total_pnl == portfolio.total_value - INITIAL


def test_limit_buy_rests_locks_usdt_and_cancel_releases_it(user: User) -> None:
    price = half_price(user, "ETHUSDT")
    placed = user.client.trading.place_order(
        symbol="ETHUSDT", side="BUY", type="LIMIT", quantity="0.1", price=price, client_order_id="rest-1"
    )
    order = placed.order
    assert placed.trade is None
    assert (order.status, order.time_in_force, order.price, order.orig_qty, order.executed_qty) == (
        "NEW",
        "GTC",
        price,
        Decimal("0.1"),
        Decimal(0),
    )
    assert order.client_order_id == "rest-1" and order.cumulative_quote_qty == 0
    locked = Decimal("0.1") * price
    assert balances(user) == {"USDT": (INITIAL - locked, locked)}
    assert user.client.trading.get_order(id=order.order_id).order == order
    assert [o.order_id for o in user.client.trading.list_orders(status="NEW").orders] == [order.order_id]

    canceled = user.client.trading.cancel_order(id=order.order_id)
    assert canceled.message == "Order canceled successfully"
    assert canceled.order.status == "CANCELED" and canceled.order.order_id == order.order_id
    assert canceled.order.updated_at is not None and order.updated_at is not None
    assert canceled.order.updated_at >= order.updated_at
    assert balances(user) == {"USDT": (INITIAL, Decimal(0))}
    assert user.client.trading.get_order(id=order.order_id).order.status == "CANCELED"

    with pytest.raises(meridian.BadRequestError) as again:
        user.client.trading.cancel_order(id=order.order_id)
    assert again.value.message == "Order cannot be canceled: status is CANCELED"
    with pytest.raises(meridian.NotFoundError):
        user.client.trading.cancel_order(id=987_654_321)


def test_limit_sell_locks_the_base_asset_which_still_counts_as_a_position(user: User) -> None:
    user.client.trading.place_order(symbol="SOLUSDT", side="BUY", type="MARKET", quantity="1")
    high = (user.client.trading.get_price(symbol="SOLUSDT").price * 2).quantize(CENT)
    resting = user.client.trading.place_order(symbol="SOLUSDT", side="SELL", type="LIMIT", quantity="0.5", price=high)
    assert resting.order.status == "NEW"
    assert balances(user)["SOL"] == (Decimal("0.499"), Decimal("0.5"))
    (position,) = user.client.trading.get_positions().positions
    assert position.quantity == Decimal("0.999")
    user.client.trading.cancel_order(id=resting.order.order_id)
    assert balances(user)["SOL"] == (Decimal("0.999"), Decimal(0))


def test_a_marketable_limit_fills_at_the_feed_price(user: User) -> None:
    limit = (user.client.trading.get_price(symbol="ETHUSDT").price * 2).quantize(CENT)
    placed = user.client.trading.place_order(symbol="ETHUSDT", side="BUY", type="LIMIT", quantity="0.01", price=limit)
    assert_filled_trade(placed)
    assert placed.order.price == limit
    assert placed.trade is not None and placed.trade.price < limit


@pytest.mark.parametrize("time_in_force", ["IOC", "FOK"])
def test_ioc_and_fok_limits_that_cannot_fill_expire(user: User, time_in_force: TradingTimeInForce) -> None:
    price = half_price(user, "ETHUSDT")
    placed = user.client.trading.place_order(
        symbol="ETHUSDT", side="BUY", type="LIMIT", quantity="0.1", price=price, time_in_force=time_in_force
    )
    assert (placed.order.status, placed.order.time_in_force, placed.trade) == ("EXPIRED", time_in_force, None)
    assert balances(user) == {"USDT": (INITIAL, Decimal(0))}


def test_client_order_id_and_idempotency_key_make_retries_safe(user: User) -> None:
    trading = user.client.trading
    first = trading.place_order(symbol="SOLUSDT", side="BUY", type="MARKET", quantity="1", client_order_id="once")
    again = trading.place_order(symbol="SOLUSDT", side="BUY", type="MARKET", quantity="1", client_order_id="once")
    assert again.order == first.order
    with pytest.raises(meridian.ConflictError) as reused:
        trading.place_order(symbol="SOLUSDT", side="BUY", type="MARKET", quantity="2", client_order_id="once")
    assert "clientOrderId" in reused.value.message

    keyed = trading.place_order(symbol="SOLUSDT", side="BUY", type="MARKET", quantity="1", idempotency_key="key-1")
    replay = trading.place_order(symbol="SOLUSDT", side="BUY", type="MARKET", quantity="1", idempotency_key="key-1")
    assert replay.order.order_id == keyed.order.order_id
    with pytest.raises(meridian.ConflictError) as different:
        trading.place_order(symbol="SOLUSDT", side="BUY", type="MARKET", quantity="2", idempotency_key="key-1")
    assert "Idempotency-Key" in different.value.message
    # Two orders, not four.
    assert {o.order_id for o in trading.list_orders().orders} == {first.order.order_id, keyed.order.order_id}
    assert balances(user)["SOL"] == (Decimal("1.998"), Decimal(0))


def test_orders_the_api_refuses(user: User) -> None:
    trading = user.client.trading
    with pytest.raises(meridian.BadRequestError) as neither:
        trading.place_order(symbol="BTCUSDT", side="BUY", type="MARKET")
    assert neither.value.errors == [
        {"field": "quantity", "message": "MARKET orders take exactly one of quantity and quoteOrderQty"}
    ]
    with pytest.raises(meridian.BadRequestError) as no_price:
        trading.place_order(symbol="BTCUSDT", side="BUY", type="LIMIT", quantity="0.001")
    assert no_price.value.errors == [{"field": "price", "message": "is required for LIMIT orders"}]
    with pytest.raises(meridian.BadRequestError) as poor:
        trading.place_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="1000")
    assert poor.value.message.startswith("Insufficient balance: requires") and poor.value.errors == []
    with pytest.raises(meridian.BadRequestError) as lot:
        trading.place_order(symbol="ETHUSDT", side="BUY", type="MARKET", quantity="0.000001")
    assert "LOT_SIZE" in lot.value.message
    with pytest.raises(meridian.BadRequestError) as tick:
        trading.place_order(symbol="ETHUSDT", side="BUY", type="LIMIT", quantity="0.1", price="1000.001")
    assert "PRICE_FILTER" in tick.value.message
    with pytest.raises(meridian.BadRequestError) as nothing:
        trading.place_order(symbol="ETHUSDT", side="SELL", type="MARKET", quantity="1")
    assert nothing.value.message == "Insufficient balance: requires 1 ETH, available 0 ETH"

    # Refused before sending: a float amount, an unknown symbol.
    sent = user.client.attempts
    with pytest.raises(TypeError, match="float"):
        trading.place_order(symbol="BTCUSDT", side="BUY", type="MARKET", quote_order_qty=100.0)  # type: ignore[arg-type]
    with pytest.raises(meridian.InvalidRequestError, match="FOOUSDT"):
        trading.place_order(symbol="FOOUSDT", side="BUY", type="MARKET", quantity="1")  # type: ignore[arg-type]
    assert user.client.attempts == sent
    assert trading.list_orders().orders == []
    with pytest.raises(meridian.NotFoundError):
        trading.get_order(id=987_654_321)


def test_orders_and_trades_are_listed_newest_first_with_filters(user: User) -> None:
    trading = user.client.trading
    price = half_price(user, "ETHUSDT")
    placed: List[TradingOrder] = [
        trading.place_order(symbol="SOLUSDT", side="BUY", type="MARKET", quantity="1").order,
        trading.place_order(symbol="ETHUSDT", side="BUY", type="LIMIT", quantity="0.1", price=price).order,
        trading.place_order(symbol="SOLUSDT", side="SELL", type="MARKET", quantity="0.5").order,
    ]
    listed = trading.list_orders()
    assert [o.order_id for o in listed.orders] == [o.order_id for o in reversed(placed)]
    assert (listed.pagination.page, listed.pagination.limit, listed.pagination.total_count, listed.pagination.total_pages) == (
        1,
        20,
        3,
        1,
    )
    page2 = trading.list_orders(limit=2, page=2)
    assert [o.order_id for o in page2.orders] == [placed[0].order_id]
    assert (page2.pagination.total_count, page2.pagination.total_pages) == (3, 2)
    assert [o.order_id for o in trading.list_orders(symbol="SOLUSDT", side="SELL").orders] == [placed[2].order_id]
    assert [o.order_id for o in trading.list_orders(status="FILLED").orders] == [placed[2].order_id, placed[0].order_id]

    trades = trading.list_trades()
    assert [t.order_id for t in trades.trades] == [str(placed[2].order_id), str(placed[0].order_id)]
    assert trades.pagination.total_count == 2
    assert trades.trades[0].executed_at >= trades.trades[1].executed_at
    (buy,) = trading.list_trades(side="BUY", symbol="SOLUSDT").trades
    assert buy.order_id == str(placed[0].order_id) and buy.quantity == 1
    assert trading.list_trades(symbol="ETHUSDT").trades == []
    with pytest.raises(meridian.BadRequestError) as too_many:
        trading.list_orders(limit=101)
    assert [e["field"] for e in too_many.value.errors] == ["limit"]


# ---- Market data (public) ----------------------------------------------------------------------


def test_price_by_query_and_by_path(live: Live) -> None:
    client = live.client()
    for symbol in ("BTCUSDT", "ETHUSDT"):
        by_query = client.trading.get_price(symbol=symbol)
        by_path = client.trading.get_symbol_price(symbol=symbol)
        for quote in (by_query, by_path):
            assert quote.symbol == symbol and money(quote.price) > 0
            assert quote.price == quote.price.quantize(CENT)  # the 0.01 tick
        # The simulated feed moves slowly: two reads a moment apart are within 1 %.
        assert abs(by_query.price - by_path.price) / by_query.price < Decimal("0.01")
        assert by_query.timestamp <= by_path.timestamp


def test_list_prices_keeps_the_order_given_and_shares_one_timestamp(live: Live) -> None:
    client = live.client()
    chosen = client.trading.list_prices(symbols="ETHUSDT,BTCUSDT,ETHUSDT").prices
    assert [p.symbol for p in chosen] == ["ETHUSDT", "BTCUSDT"]
    everything = client.trading.list_prices().prices
    assert [p.symbol for p in everything] == SYMBOLS
    assert len({p.timestamp for p in everything}) == 1
    assert all(money(p.price) > 0 for p in everything)


def test_ticker_statistics_are_consistent(live: Live) -> None:
    client = live.client()
    ticker = client.trading.get_ticker(symbol="BTCUSDT")
    assert ticker.symbol == "BTCUSDT"
    assert ticker.close_time - ticker.open_time == 86_400_000
    assert ticker.price_change == ticker.last_price - ticker.open_price
    expected = (ticker.price_change / ticker.open_price * 100).quantize(CENT, rounding=ROUND_HALF_UP)
    assert ticker.price_change_percent == expected
    assert ticker.low_price <= min(ticker.open_price, ticker.last_price)
    assert ticker.high_price >= max(ticker.open_price, ticker.last_price)
    assert money(ticker.volume) > 0 and money(ticker.quote_volume) > 0

    tickers = client.trading.list_tickers().tickers
    assert [t.symbol for t in tickers] == SYMBOLS
    assert len({t.close_time for t in tickers}) == 1


@pytest.mark.parametrize("interval", ["1m", "1h", "1d"])
def test_candles_are_aligned_oldest_first(live: Live, interval: MarketInterval) -> None:
    step = INTERVAL_MS[interval]
    before = now_ms()
    answer = live.client().trading.get_candles(symbol="ETHUSDT", interval=interval, limit=5)
    after = now_ms()
    assert (answer.symbol, answer.interval, len(answer.candles)) == ("ETHUSDT", interval, 5)
    for i, candle in enumerate(answer.candles):
        assert candle.open_time % step == 0  # aligned in UTC (a 1d candle opens at 00:00 UTC)
        assert candle.close_time == candle.open_time + step - 1
        assert candle.low <= min(candle.open, candle.close) <= max(candle.open, candle.close) <= candle.high
        assert money(candle.volume) >= 0
        if i:
            assert candle.open_time == answer.candles[i - 1].open_time + step
    # The newest candle is the one open now (its closeTime lies in the future).
    assert answer.candles[-1].open_time in {before // step * step, after // step * step}


def test_candles_between_two_times(live: Live) -> None:
    hour = 3_600_000
    now = now_ms()
    start, end = now - 5 * hour, now - hour
    candles = live.client().trading.get_candles(symbol="BTCUSDT", interval="1h", start_time=start, end_time=end).candles
    first_open = -(-start // hour) * hour  # the first hour boundary at or after start
    assert [c.open_time for c in candles] == [first_open + i * hour for i in range(len(candles))]
    assert len(candles) == 4 and candles[-1].open_time <= end


@pytest.mark.parametrize("depth", [5, 20])
def test_order_book_levels(live: Live, depth: int) -> None:
    book = live.client().trading.get_order_book(symbol="BTCUSDT", limit=depth)
    assert book.symbol == "BTCUSDT" and len(book.bids) == len(book.asks) == depth
    bids = [level.price for level in book.bids]
    asks = [level.price for level in book.asks]
    assert bids == sorted(bids, reverse=True) and len(set(bids)) == depth
    assert asks == sorted(asks) and len(set(asks)) == depth
    assert max(bids) < min(asks)
    assert all(p == p.quantize(CENT) for p in bids + asks)
    assert all(money(level.quantity) > 0 for level in book.bids + book.asks)
    assert abs(book.timestamp - datetime.datetime.now(datetime.timezone.utc)) < datetime.timedelta(minutes=1)


def test_order_book_depth_outside_the_enum_is_refused_before_sending(live: Live) -> None:
    client = live.client()
    with pytest.raises(meridian.InvalidRequestError) as refused:
        client.trading.get_order_book(symbol="BTCUSDT", limit=3)
    assert isinstance(refused.value, ValueError)
    assert client.attempts == 0
    assert len(client.trading.get_order_book(symbol="BTCUSDT").bids) == 20  # the default
