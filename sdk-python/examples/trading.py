"""Paper trading: balances, a MARKET buy by quote amount, a resting LIMIT sell cancelled,
and every order of the account through the paginating iterator.

``MERIDIAN_URL=… MERIDIAN_EMAIL=… python trading.py`` (after quickstart.py registered the account)
"""

from __future__ import annotations

import os
from decimal import Decimal

import meridian

URL = os.environ.get("MERIDIAN_URL", "http://127.0.0.1:8080")
EMAIL = os.environ.get("MERIDIAN_EMAIL", "quickstart@example.com")


def main() -> None:
    client = meridian.Client(URL)
    client.auth.login(email=EMAIL, password="SecurePass123!")

    usdt = next(b for b in client.trading.get_balances().balances if b.asset == "USDT")
    print(f"USDT free: {usdt.free}")

    bought = client.trading.place_order(symbol="BTCUSDT", side="BUY", type="MARKET", quote_order_qty="100")
    order = bought.order
    print(f"placed order {order.order_id}: {order.status} {order.executed_qty} BTC at {order.price}")

    price = client.trading.get_symbol_price(symbol="BTCUSDT").price
    limit = (price * 2).quantize(Decimal("0.01"))
    resting = client.trading.place_order(
        symbol="BTCUSDT", side="SELL", type="LIMIT", quantity=Decimal("0.001"), price=limit
    )
    cancelled = client.trading.cancel_order(id=resting.order.order_id)
    print(f"{cancelled.message} ({cancelled.order.order_id} at {limit})")

    for each in client.trading.list_orders_iter(symbol="BTCUSDT"):
        print(f"order {each.order_id}: {each.side} {each.type} {each.status}")


if __name__ == "__main__":
    main()
