"""Schemathesis hooks for Meridian: who each generated request is sent as."""

from __future__ import annotations

import os
import secrets
from typing import Any

import requests
import schemathesis

BASE_URL = os.environ["MERIDIAN_ST_BASE_URL"]
PASSWORD = "Schemathesis-Passw0rd!"


def _login(email: str) -> str:
    answer = requests.post(f"{BASE_URL}/api/auth/login", json={"email": email, "password": PASSWORD}, timeout=30)
    answer.raise_for_status()
    return str(answer.json()["tokens"]["access_token"])


def _register(email: str) -> None:
    answer = requests.post(f"{BASE_URL}/api/auth/register", json={"email": email, "password": PASSWORD}, timeout=30)
    if answer.status_code != 409:
        answer.raise_for_status()


class _Bearer:
    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


@schemathesis.auth().apply_to(path_regex="^/api/admin/")
class AdminAuth(_Bearer):
    def get(self, case: Any, context: Any) -> str:
        email = os.environ["MERIDIAN_ST_ADMIN_EMAIL"]
        _register(email)
        return _login(email)


@schemathesis.auth().skip_for(path_regex="^/api/admin/")
class UserAuth(_Bearer):
    def get(self, case: Any, context: Any) -> str:
        email = f"st-{secrets.token_hex(6)}@example.com"
        _register(email)
        return _login(email)


# --- Producers that succeed, so the stateful phase can follow the specs' links ------------
#
# A link fires only when its source operation succeeds, and most generated bodies for the
# three producers break a rule the schema cannot state (a password without a digit, a
# MARKET order with a price, a loan amount outside its type's range): they are a 400 and
# no scenario gets past them. In the stateful phase, for cases generated as valid, the hook
# below brings those bodies within the rules, keeping the rest of what was generated. The
# other phases, and every case generated as invalid, are left exactly as generated.

_LOAN_RANGES = {
    # loan type: (lowest amount, highest amount, shortest term, longest term)
    "personal": (1_000, 50_000, 6, 84),
    "mortgage": (50_000, 1_000_000, 60, 360),
    "auto": (5_000, 100_000, 12, 96),
    "business": (10_000, 500_000, 6, 120),
}


def _strong(password: Any) -> str:
    """`password` with an upper-case letter, a lower-case letter, a digit and a special
    character, 8 to 128 characters long."""
    return ("Aa1!" + str(password))[:128].ljust(8, "x")


def _fix_registration(body: dict[str, Any]) -> None:
    body["password"] = _strong(body.get("password", ""))


def _fix_order(body: dict[str, Any]) -> None:
    # A market buy a new user can afford (it holds USDT only): it fills, so get_order finds
    # it and cancel_order answers its documented 400 for a filled order.
    for field in ("quantity", "price", "timeInForce"):
        body.pop(field, None)
    body.update(side="BUY", type="MARKET", quoteOrderQty="25")


def _fix_loan_application(body: dict[str, Any]) -> None:
    low, high, shortest, longest = _LOAN_RANGES[body["loan_type"]]
    body["requested_amount"] = str((low + high) // 2)
    body["requested_term_months"] = (shortest + longest) // 2
    body.pop("requested_rate", None)


_PRODUCERS = {
    "POST /api/auth/register": _fix_registration,
    "POST /api/trading/order": _fix_order,
    "POST /api/loans/apply": _fix_loan_application,
}


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    from schemathesis.generation.meta import TestPhase

    fix = _PRODUCERS.get(case.operation.label)
    meta = case.meta
    if (
        fix is None
        or meta is None
        or meta.phase.name != TestPhase.STATEFUL
        or meta.generation.mode.is_negative
        or any(component.mode.is_negative for component in meta.components.values())
        or not isinstance(case.body, dict)
    ):
        return case
    fix(case.body)
    return case
