"""Errors through the SDK: each exception class for its status from the live server, and retries, timeouts and decoding against a stub."""

from __future__ import annotations

import asyncio
import builtins
import json
from typing import List

import pytest

import meridian
from meridian.models import HealthResponse

from .support import (
    HEALTHY,
    PASSWORD,
    REQUEST_ID,
    Live,
    Stub,
    StubRequest,
    StubResponse,
    User,
    closed_port_url,
    error_body,
    json_response,
    unique_email,
)


def assert_api_error(error: meridian.ApiError, status: int, reason: str, message: str) -> None:
    """The common shape: status, reason phrase, message, a request id in the body and the error."""
    assert (error.status, error.error, error.message) == (status, reason, message)
    assert error.request_id is not None and REQUEST_ID.fullmatch(error.request_id)
    assert error.body is not None
    assert error.body["success"] is False and error.body["request_id"] == error.request_id
    assert (error.body["error"], error.body["message"]) == (reason, message)
    assert str(error) == f"{status} {reason}: {message} (request {error.request_id})"
    assert isinstance(error, meridian.MeridianError)


# ---- From the live server: one class per status ----------------------------------------------


def test_400_is_bad_request_with_the_offending_fields(live: Live) -> None:
    with pytest.raises(meridian.BadRequestError) as caught:
        live.client().auth.register(email=unique_email("weak"), password="alllowercase1!")
    error = caught.value
    assert_api_error(error, 400, "Bad Request", "Invalid password: Password must contain an uppercase letter.")
    assert error.errors == [{"field": "password", "message": "Password must contain an uppercase letter."}]
    assert error.body is not None and error.body["errors"] == error.errors


def test_400_from_a_query_parameter_names_the_parameter(user: User) -> None:
    with pytest.raises(meridian.BadRequestError) as caught:
        user.client.trading.list_trades(limit=500)
    assert caught.value.errors == [{"field": "limit", "message": "verification failed. maximum(100, exclusive: false)"}]


def test_401_is_authentication_error(live: Live) -> None:
    with pytest.raises(meridian.AuthenticationError) as caught:
        live.client().accounts.get_current_user()
    assert_api_error(caught.value, 401, "Unauthorized", "Authentication required: send a bearer token.")
    assert caught.value.errors == []


def test_403_is_permission_denied_error(user: User) -> None:
    with pytest.raises(meridian.PermissionDeniedError) as caught:
        user.client.accounts.admin_get_stats()
    assert_api_error(caught.value, 403, "Forbidden", "This operation needs the `staff` role.")


def test_404_is_not_found_error(user: User) -> None:
    with pytest.raises(meridian.NotFoundError) as caught:
        user.client.loans.get_loan(id="la_00000000000000000000000000000000")
    assert_api_error(caught.value, 404, "Not Found", "No loan of yours has this id.")


def test_409_is_conflict_error(live: Live, user: User) -> None:
    with pytest.raises(meridian.ConflictError) as caught:
        live.client().auth.register(email=user.email, password=PASSWORD)
    assert_api_error(caught.value, 409, "Conflict", "An account with this email already exists.")


def test_423_is_locked_error_after_five_failed_logins(live: Live, user: User) -> None:
    client = live.client()
    for _ in range(4):
        with pytest.raises(meridian.AuthenticationError):
            client.auth.login(email=user.email, password="WrongPass123!")
    with pytest.raises(meridian.LockedError) as caught:
        client.auth.login(email=user.email, password="WrongPass123!")
    message = "Account is locked due to multiple failed login attempts. Please try again in 30 minute(s)."
    assert_api_error(caught.value, 423, "Locked", message)
    # Locked even with the right password.
    with pytest.raises(meridian.LockedError):
        client.auth.login(email=user.email, password=PASSWORD)


def test_every_error_has_its_own_request_id(live: Live) -> None:
    client = live.client()
    ids = set()
    for _ in range(3):
        with pytest.raises(meridian.AuthenticationError) as caught:
            client.accounts.get_current_user()
        ids.add(caught.value.request_id)
    assert len(ids) == 3


def test_invalid_request_error_is_a_value_error_and_nothing_is_sent(live: Live) -> None:
    client = live.client()
    with pytest.raises(meridian.InvalidRequestError) as caught:
        client.accounts.list_events(limit=0)
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, meridian.MeridianError)
    assert "limit" in str(caught.value)
    assert client.attempts == 0


def test_the_exception_hierarchy() -> None:
    api_errors = [
        meridian.BadRequestError,
        meridian.AuthenticationError,
        meridian.PermissionDeniedError,
        meridian.NotFoundError,
        meridian.ConflictError,
        meridian.LockedError,
        meridian.RateLimitError,
        meridian.ServerError,
    ]
    for api_error in api_errors:
        assert issubclass(api_error, meridian.ApiError) and issubclass(api_error, meridian.MeridianError)
    assert len(set(api_errors)) == len(api_errors)
    for other in (meridian.TransportError, meridian.DecodeError, meridian.InvalidRequestError, meridian.ClientCredentialsError):
        assert issubclass(other, meridian.MeridianError) and not issubclass(other, meridian.ApiError)
    assert issubclass(meridian.TimeoutError, meridian.TransportError)
    assert issubclass(meridian.TimeoutError, builtins.TimeoutError)
    assert meridian.TimeoutError is not builtins.TimeoutError


# ---- Against a stub: what the real server cannot be made to do on demand ---------------------
# The fixture's server runs with `--rate-limits x1000` (5 000 logins a minute), so a 429 cannot
# be provoked deterministically there; the stub answers 429 and 5xx exactly when told.


def test_429_is_retried_honouring_retry_after_then_raised_as_rate_limit_error(stub: Stub) -> None:
    body = error_body("Rate Limit Exceeded", "Too many requests.", "req-00000000000000000429")
    stub.handler = lambda request: json_response(429, body, **{"Retry-After": "0"})
    client = meridian.Client(stub.base_url, max_retries=2)
    with pytest.raises(meridian.RateLimitError) as caught:
        client.system.get_health()
    error = caught.value
    assert (error.status, error.error, error.message, error.retry_after) == (429, "Rate Limit Exceeded", "Too many requests.", 0)
    assert error.request_id == "req-00000000000000000429"
    assert len(stub.requests) == 3 and client.attempts == 3  # the call and two retries


def test_a_retry_after_429_can_succeed(stub: Stub) -> None:
    answers: List[StubResponse] = [
        json_response(429, error_body("Rate Limit Exceeded", "Slow down.", "req-00000000000000000001"), **{"Retry-After": "0"}),
        json_response(200, HEALTHY),
    ]
    stub.handler = lambda request: answers.pop(0)
    client = meridian.Client(stub.base_url)
    health = client.system.get_health()
    assert isinstance(health, HealthResponse) and health.version == "9.9.9"
    assert client.attempts == 2


def test_a_long_retry_after_is_not_waited_for(stub: Stub) -> None:
    body = error_body("Rate Limit Exceeded", "Come back in an hour.", "req-00000000000000000002")
    stub.handler = lambda request: json_response(429, body, **{"Retry-After": "3600"})
    client = meridian.Client(stub.base_url, max_retries=3)
    with pytest.raises(meridian.RateLimitError) as caught:
        client.system.get_health()
    assert caught.value.retry_after == 3600
    assert len(stub.requests) == 1


def test_500_is_server_error_and_not_retried(stub: Stub) -> None:
    stub.handler = lambda request: json_response(500, error_body("Internal Server Error", "Boom.", "req-00000000000000000500"))
    client = meridian.Client(stub.base_url, max_retries=3)
    with pytest.raises(meridian.ServerError) as caught:
        client.system.get_health()
    assert (caught.value.status, caught.value.message, caught.value.request_id) == (500, "Boom.", "req-00000000000000000500")
    assert len(stub.requests) == 1


def test_503_is_retried_then_raised_as_server_error(stub: Stub) -> None:
    body = error_body("Service Unavailable", "Try again.", "req-00000000000000000503")
    stub.handler = lambda request: json_response(503, body, **{"Retry-After": "0"})
    client = meridian.Client(stub.base_url, max_retries=1)
    with pytest.raises(meridian.ServerError) as caught:
        client.system.get_health()
    assert caught.value.status == 503
    assert len(stub.requests) == 2


def test_a_non_json_error_takes_the_request_id_from_the_header(stub: Stub) -> None:
    stub.handler = lambda request: StubResponse(
        502, b"<html>bad gateway</html>", {"Content-Type": "text/html", "X-Request-Id": "req-abcdefabcdefabcdefab"}
    )
    client = meridian.Client(stub.base_url, max_retries=0)
    with pytest.raises(meridian.ServerError) as caught:
        client.system.get_health()
    error = caught.value
    assert (error.status, error.error, error.body) == (502, "unexpected_status", None)
    assert error.request_id == "req-abcdefabcdefabcdefab"


def test_posts_are_retried_only_with_an_idempotency_key(stub: Stub) -> None:
    body = error_body("Service Unavailable", "Try again.", "req-00000000000000000503")
    stub.handler = lambda request: json_response(503, body, **{"Retry-After": "0"})
    client = meridian.Client(stub.base_url, max_retries=2, token="a-token")

    with pytest.raises(meridian.ServerError):
        client.auth.register(email=unique_email("stub"), password=PASSWORD)
    assert len(stub.requests) == 1  # a plain POST could act twice: sent once

    stub.requests.clear()
    with pytest.raises(meridian.ServerError):
        client.trading.place_order(symbol="BTCUSDT", side="BUY", type="MARKET", quote_order_qty="10")
    keys = [r.headers.get("idempotency-key") for r in stub.requests]
    assert len(keys) == 3 and len(set(keys)) == 1  # the SDK's own key, the same on every attempt
    assert keys[0] is not None and keys[0].startswith("meridian-sdk-")
    assert json.loads(stub.requests[0].body) == {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quoteOrderQty": 10}

    stub.requests.clear()
    with pytest.raises(meridian.ServerError):
        client.loans.make_loan_payment(id="la_x", amount="5.25", idempotency_key="my-key-1")
    assert [r.headers.get("idempotency-key") for r in stub.requests] == ["my-key-1"] * 3
    assert {r.path for r in stub.requests} == {"/api/loans/la_x/payments"}


def test_requests_carry_the_user_agent_and_the_token(stub: Stub) -> None:
    stub.handler = lambda request: json_response(200, HEALTHY)
    meridian.Client(stub.base_url).system.get_health()
    meridian.Client(stub.base_url, token="tok-123", user_agent="my-integration/1.0").system.get_health()
    first, second = stub.requests
    assert first.headers["user-agent"] == f"meridian-python/{meridian.__version__}"
    assert "authorization" not in first.headers
    assert second.headers["user-agent"] == "my-integration/1.0"
    assert second.headers["authorization"] == "Bearer tok-123"
    assert (first.method, first.path) == ("GET", "/api/health")


def test_a_slow_answer_raises_timeout_error(stub: Stub) -> None:
    def never_in_time(request: StubRequest) -> StubResponse:
        stub.release.wait(30)  # released when the test ends
        return json_response(200, HEALTHY)

    stub.handler = never_in_time
    client = meridian.Client(stub.base_url, timeout=0.5, max_retries=0)
    with pytest.raises(meridian.TimeoutError) as caught:
        client.system.get_health()
    assert isinstance(caught.value, builtins.TimeoutError) and isinstance(caught.value, meridian.TransportError)


def test_nothing_listening_raises_transport_error() -> None:
    client = meridian.Client(closed_port_url(), max_retries=0)
    with pytest.raises(meridian.TransportError) as caught:
        client.system.get_health()
    assert not isinstance(caught.value, meridian.TimeoutError)
    assert client.attempts == 1


@pytest.mark.parametrize("body", [b"{not json", b'{"status": 5}', b"[]"])
def test_an_undecodable_answer_raises_decode_error(stub: Stub, body: bytes) -> None:
    stub.handler = lambda request: StubResponse(200, body, {"Content-Type": "application/json"})
    with pytest.raises(meridian.DecodeError):
        meridian.Client(stub.base_url, max_retries=0).system.get_health()


def test_errors_of_an_async_client_are_the_same_classes(stub: Stub) -> None:
    stub.handler = lambda request: json_response(404, error_body("Not Found", "No such thing.", "req-00000000000000000404"))

    async def call() -> meridian.NotFoundError:
        client = meridian.AsyncClient(stub.base_url)
        try:
            await client.trading.get_order(id=1)
        except meridian.NotFoundError as error:
            return error
        raise AssertionError("no error")

    error = asyncio.run(call())
    assert (error.status, error.request_id) == (404, "req-00000000000000000404")


def test_client_arguments_are_checked(live: Live) -> None:
    with pytest.raises(ValueError, match="go together"):
        meridian.Client(live.base_url, client_id="only-an-id")
    with pytest.raises(ValueError, match="not both"):
        meridian.Client(live.base_url, token="t", client_id="i", client_secret="s")
    with pytest.raises(ValueError, match="timeout"):
        meridian.Client(live.base_url, timeout=0)
    with pytest.raises(ValueError, match="page_size"):
        meridian.Client(live.base_url, page_size=0)
