"""Credit and loans with the asyncio client: a score, the calculator (seed 003's example), an
application, its schedule, and the credit history it leaves.

``MERIDIAN_URL=… MERIDIAN_EMAIL=… python loans.py`` (after quickstart.py)
"""

from __future__ import annotations

import asyncio
import os
from decimal import Decimal

import meridian

URL = os.environ.get("MERIDIAN_URL", "http://127.0.0.1:8080")
EMAIL = os.environ.get("MERIDIAN_EMAIL", "quickstart@example.com")


async def main() -> None:
    client = meridian.AsyncClient(URL)
    await client.auth.login(email=EMAIL, password="SecurePass123!")

    score, quote = await asyncio.gather(
        client.credit.calculate_credit_score(),
        client.loans.calculate_loan(amount=Decimal("10000"), rate=Decimal("8.5"), term_months=36),
    )
    print(f"credit score {score.data.score} ({score.data.rating})")
    print(f"10000 over 36 months at 8.5%: {quote.data.monthly_payment} a month")

    applied = await client.loans.apply_for_loan(
        loan_type="personal", requested_amount="10000", requested_term_months=36, requested_rate="8.5"
    )
    print(f"{applied.message}: {applied.data.id} ({applied.data.status})")
    async for event in client.credit.list_credit_history_iter():
        print(f"credit event {event.event_type} ({event.impact})")


if __name__ == "__main__":
    asyncio.run(main())
