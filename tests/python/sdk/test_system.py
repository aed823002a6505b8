"""System group through the SDK: the health report, anonymous and signed in, sync and typed."""

from __future__ import annotations

import datetime

import meridian
from meridian.models import HealthResponse, HealthServices

from .support import REQUEST_ID, Live, User


def test_health_is_healthy_with_every_probe_reported(live: Live) -> None:
    client = live.client()
    before = datetime.datetime.now(datetime.timezone.utc)
    health = client.system.get_health()
    after = datetime.datetime.now(datetime.timezone.utc)

    assert isinstance(health, HealthResponse)
    assert health.success is True
    assert health.status == "healthy"
    # The fixture's server runs on SQLite without REDIS_URL.
    assert health.services == HealthServices(
        database="up", redis="not_configured", market_data="up", credit_model="up"
    )
    assert health.version and health.version[0].isdigit()
    assert REQUEST_ID.fullmatch(health.request_id), health.request_id
    # An aware UTC timestamp taken while the call ran (milliseconds on the wire).
    assert health.timestamp.tzinfo is not None and health.timestamp.utcoffset() == datetime.timedelta(0)
    assert before - datetime.timedelta(seconds=1) <= health.timestamp <= after + datetime.timedelta(seconds=1)
    assert health.timestamp.microsecond % 1000 == 0
    assert client.attempts == 1


def test_each_call_gets_its_own_request_id(live: Live) -> None:
    client = live.client()
    ids = {client.system.get_health().request_id for _ in range(3)}
    assert len(ids) == 3 and all(REQUEST_ID.fullmatch(i) for i in ids)


def test_health_needs_no_credentials_and_ignores_a_bad_token(live: Live, user: User) -> None:
    assert user.client.system.get_health().status == "healthy"
    stranger = meridian.Client(live.base_url, token="not-a-token")
    assert stranger.system.get_health().status == "healthy"
    assert stranger.attempts == 1  # no refresh, no retry


def test_client_reports_its_base_url_without_a_trailing_slash(live: Live) -> None:
    client = meridian.Client(live.base_url + "/")
    assert client.base_url == live.base_url
    assert repr(client) == f"Client({live.base_url!r})"
    assert client.system.get_health().status == "healthy"
    assert repr(meridian.AsyncClient(live.base_url)) == f"AsyncClient({live.base_url!r})"
