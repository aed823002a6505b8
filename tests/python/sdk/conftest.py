"""Typed fixtures of the SDK suite: the live server (with a bootstrap admin), signed-in users and a stub HTTP server."""

from __future__ import annotations

from typing import Iterator

import pytest

import meridian

from conftest import Server  # tests/python/conftest.py, whose `server` fixture this builds on

from .support import PASSWORD, Live, Stub, User, success, unique_email


@pytest.fixture(scope="module", autouse=True)
def admin_email() -> Iterator[str]:
    """The module's first admin: tests/python/conftest.py's `server` passes the environment on
    to the server process, so MERIDIAN_BOOTSTRAP_ADMIN (`--bootstrap-admin`) makes this address
    an admin when it registers. Autouse and module-scoped, so it is set before `server` starts;
    unset again after the module."""
    email = unique_email("admin")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MERIDIAN_BOOTSTRAP_ADMIN", email)
        yield email


@pytest.fixture(scope="module")
def live(admin_email: str, server: Server) -> Live:
    """The module's server (tests/python/conftest.py's `server`) and ways to act on it."""
    return Live(server, admin_email)


@pytest.fixture(scope="module")
def admin(live: Live) -> meridian.Client:
    """A client signed in as the module's admin (role `admin`, from `--bootstrap-admin`)."""
    client = live.client()
    client.auth.register(email=live.admin_email, password=PASSWORD)
    login = success(client.auth.login(email=live.admin_email, password=PASSWORD))
    assert login.user.role == "admin", login.user
    return client


@pytest.fixture
def user(live: Live) -> User:
    """A fresh user, signed in."""
    return live.new_user("member")


@pytest.fixture
def stub() -> Iterator[Stub]:
    """A scripted HTTP server (set `stub.handler`), closed after the test."""
    server = Stub()
    try:
        yield server
    finally:
        server.close()
