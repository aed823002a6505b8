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
