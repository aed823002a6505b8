"""Client-keys group through the SDK: create, list and delete keys, their tokens' fate, and the staff listing."""

from __future__ import annotations

import re
from typing import List

import pytest

import meridian
from meridian.models import ClientKey, ClientKeyScope

from .support import Live, User

ALL_SCOPES: List[ClientKeyScope] = ["trading:read", "trading:write", "credit:read", "credit:write", "loans:read", "loans:write"]


def test_create_with_defaults_and_list_without_secrets(user: User) -> None:
    created = user.client.client_keys.create_client_key()
    assert created.id is not None and created.id.startswith("key-")
    assert re.fullmatch(r"[0-9a-f]{40}", created.client_id)
    assert re.fullmatch(r"[0-9a-f]{80}", created.client_secret)
    assert created.name == f"Client key {created.client_id[:8]}"
    assert created.scopes == ALL_SCOPES

    (listed,) = user.client.client_keys.list_client_keys()
    assert isinstance(listed, ClientKey)
    assert listed == ClientKey(
        id=created.id,
        client_id=created.client_id,
        name=created.name,
        scopes=ALL_SCOPES,
        enabled=True,
        last_used_at=None,
        created_at=created.created_at,
    )
    assert "client_secret" not in listed.to_dict() and created.client_secret not in repr(listed)


def test_create_trims_the_name_and_keeps_the_scopes_given(user: User) -> None:
    created = user.client.client_keys.create_client_key(name="  reporting  ", scopes=["trading:read", "credit:read"])
    assert (created.name, created.scopes) == ("reporting", ["trading:read", "credit:read"])
    with pytest.raises(meridian.BadRequestError) as blank:
        user.client.client_keys.create_client_key(name="   ")
    assert [e["field"] for e in blank.value.errors] == ["name"]
    # An unknown scope never leaves the client.
    sent = user.client.attempts
    with pytest.raises(meridian.InvalidRequestError, match="trading:read"):
        user.client.client_keys.create_client_key(scopes=["admin"])  # type: ignore[list-item]
    assert user.client.attempts == sent


def test_list_is_newest_first_and_delete_takes_the_id_or_the_client_id(live: Live, user: User) -> None:
    keys = [user.client.client_keys.create_client_key(name=f"key {i}") for i in range(3)]
    assert [k.name for k in user.client.client_keys.list_client_keys()] == ["key 2", "key 1", "key 0"]

    assert keys[0].id is not None
    user.client.client_keys.delete_client_key(id=keys[0].id)
    user.client.client_keys.delete_client_key(id=keys[1].client_id)
    assert [k.client_id for k in user.client.client_keys.list_client_keys()] == [keys[2].client_id]

    with pytest.raises(meridian.NotFoundError):
        user.client.client_keys.delete_client_key(id=keys[0].id)
    # Another user's key is not found either.
    stranger = live.new_user("stranger")
    with pytest.raises(meridian.NotFoundError):
        stranger.client.client_keys.delete_client_key(id=keys[2].client_id)
    assert len(user.client.client_keys.list_client_keys()) == 1


def test_at_most_25_keys(user: User) -> None:
    for i in range(25):
        user.client.client_keys.create_client_key(name=f"key {i}")
    with pytest.raises(meridian.ConflictError) as full:
        user.client.client_keys.create_client_key(name="one too many")
    assert "25" in full.value.message
    assert len(user.client.client_keys.list_client_keys()) == 25


def test_deleting_a_key_revokes_its_tokens_at_once(live: Live, user: User) -> None:
    key = user.client.client_keys.create_client_key(scopes=["trading:read"])
    issued = live.client().auth.oauth_token(
        grant_type="client_credentials", client_id=key.client_id, client_secret=key.client_secret
    )
    holder = meridian.Client(live.base_url, token=issued.access_token)
    assert holder.trading.get_balances().balances[0].asset == "USDT"
    assert key.id is not None
    user.client.client_keys.delete_client_key(id=key.id)
    with pytest.raises(meridian.AuthenticationError) as deleted:
        holder.trading.get_balances()
    assert deleted.value.message == "The client key was deleted."


def test_client_tokens_cannot_manage_keys(live: Live, user: User) -> None:
    key = user.client.client_keys.create_client_key()
    service = meridian.Client(live.base_url, client_id=key.client_id, client_secret=key.client_secret)
    with pytest.raises(meridian.PermissionDeniedError):
        service.client_keys.list_client_keys()
    with pytest.raises(meridian.PermissionDeniedError):
        service.client_keys.create_client_key(name="from a service")
    assert len(user.client.client_keys.list_client_keys()) == 1


def test_last_used_at_is_recorded_when_the_key_is_used(live: Live, user: User) -> None:
    key = user.client.client_keys.create_client_key(scopes=["trading:read"])
    assert user.client.client_keys.list_client_keys()[0].last_used_at is None
    service = meridian.Client(live.base_url, client_id=key.client_id, client_secret=key.client_secret)
    service.trading.get_balances()
    (listed,) = user.client.client_keys.list_client_keys()
    assert listed.last_used_at is not None and listed.last_used_at >= listed.created_at


def test_admin_lists_every_users_keys_with_their_owner(live: Live, admin: meridian.Client, user: User) -> None:
    keys = [user.client.client_keys.create_client_key(name=f"owned {i}", scopes=["loans:read"]) for i in range(3)]
    listed = admin.client_keys.admin_list_client_keys(user_id=user.id)
    assert [k.client_id for k in listed.api_keys] == [k.client_id for k in reversed(keys)]
    for item in listed.api_keys:
        assert (item.user_id, item.user.id, item.user.email, item.user.name) == (user.id, user.id, user.email, None)
        assert item.enabled is True and item.scopes == ["loans:read"]
        assert "client_secret" not in item.to_dict()
    assert [k.id for k in admin.client_keys.admin_list_client_keys_iter(user_id=user.id)] == [k.id for k in listed.api_keys]
    (page,) = admin.client_keys.admin_list_client_keys(user_id=user.id, limit=1, offset=1).api_keys
    assert page.id == listed.api_keys[1].id

    with pytest.raises(meridian.PermissionDeniedError):
        user.client.client_keys.admin_list_client_keys()

    # A banned owner's keys are disabled, and enabled again when the ban is lifted.
    admin.accounts.admin_update_user(id=user.id, banned=True)
    assert {k.enabled for k in admin.client_keys.admin_list_client_keys(user_id=user.id).api_keys} == {False}
    assert admin.client_keys.admin_list_client_keys(user_id=user.id, enabled=True).api_keys == []
    admin.accounts.admin_update_user(id=user.id, banned=False)
    assert len(admin.client_keys.admin_list_client_keys(user_id=user.id, enabled=True).api_keys) == 3
