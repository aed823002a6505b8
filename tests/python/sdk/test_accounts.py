"""Accounts group through the SDK: the current user, profile, password, sessions, audit events and staff administration."""

from __future__ import annotations

import datetime

import pytest

import meridian
from meridian.models import AccountBillingAddress, AccountBillingAddressUpdate, AccountUser, OkResponse

from .support import PASSWORD, REQUEST_ID, Live, User, random_wallet, success


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


# ---- The current user ------------------------------------------------------------------------


def test_a_new_user_has_the_documented_defaults(user: User) -> None:
    me = user.client.accounts.get_current_user()
    assert isinstance(me, AccountUser)
    assert (me.id, me.email) == (user.id, user.email)
    assert me.display_name is None and me.verified_at is None and me.wallet_address is None
    assert me.entity_type == "individual"
    assert me.billing_address == AccountBillingAddress(country=None, zip_code=None, address=None, state=None)
    assert (me.role, me.status, me.two_factor_enabled) == ("user", "pending", False)
    assert me.created_at <= me.updated_at <= utc_now() + datetime.timedelta(seconds=1)


def test_update_changes_the_given_fields_and_keeps_the_others(user: User) -> None:
    accounts = user.client.accounts
    before = accounts.get_current_user()
    wallet = random_wallet()
    updated = accounts.update_current_user(
        display_name="Ada Lovelace",
        entity_type="company",
        billing_address=AccountBillingAddressUpdate(country="DE", zip_code="10115"),
        wallet_address=wallet,
    )
    assert updated.display_name == "Ada Lovelace" and updated.entity_type == "company"
    assert updated.billing_address == AccountBillingAddress(country="DE", zip_code="10115", address=None, state=None)
    # Stored EIP-55 checksummed; the same address.
    assert updated.wallet_address is not None and updated.wallet_address.lower() == wallet
    assert updated.wallet_address != wallet
    assert updated.updated_at > before.updated_at

    # A partial billing address (a mapping takes the wire names) replaces only its fields.
    partial = accounts.update_current_user(billing_address={"state": "Berlin", "zipCode": "10117"})
    assert partial.billing_address == AccountBillingAddress(country="DE", zip_code="10117", address=None, state="Berlin")
    assert (partial.display_name, partial.entity_type, partial.wallet_address) == (
        "Ada Lovelace",
        "company",
        updated.wallet_address,
    )
    # An empty update changes nothing, not even updatedAt; a read agrees.
    unchanged = accounts.update_current_user()
    assert unchanged == partial
    assert accounts.get_current_user() == partial


def test_update_refuses_a_bad_wallet_checksum_and_a_taken_wallet(live: Live, user: User) -> None:
    with pytest.raises(meridian.BadRequestError) as checksum:
        # Seed 003's address with one letter's case flipped.
        user.client.accounts.update_current_user(wallet_address="0x742d35cc6634C0532925a3b844Bc454e4438f44e")
    assert [e["field"] for e in checksum.value.errors] == ["walletAddress"]
    assert "EIP-55" in checksum.value.errors[0]["message"]

    wallet = random_wallet()
    user.client.accounts.update_current_user(wallet_address=wallet)
    other = live.new_user("wallet")
    with pytest.raises(meridian.ConflictError) as taken:
        other.client.accounts.update_current_user(wallet_address=wallet)
    assert taken.value.status == 409


def test_display_name_is_trimmed(user: User) -> None:
    assert user.client.accounts.update_current_user(display_name="  Ada  ").display_name == "Ada"


def test_a_blank_display_name_is_refused(user: User) -> None:
    with pytest.raises(meridian.BadRequestError):
        user.client.accounts.update_current_user(display_name="   ")


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="SDK gap: update_current_user documents that `null` unlinks the wallet, but the bindings "
    "drop None arguments, so wallet_address=None sends nothing and the wallet stays linked (and '' is "
    "refused by the pattern): there is no way to unlink a wallet through the SDK",
)
def test_wallet_can_be_unlinked(user: User) -> None:
    user.client.accounts.update_current_user(wallet_address=random_wallet())
    assert user.client.accounts.update_current_user(wallet_address=None).wallet_address is None


def test_profile_reflects_name_wallet_and_latest_score(user: User) -> None:
    profile = user.client.accounts.get_profile()
    assert profile.success is True
    data = profile.data
    assert (data.id, data.email, data.status) == (user.id, user.email, "pending")
    assert data.last_login == user.login.user.last_login
    assert (data.profile.full_name, data.profile.wallet_address, data.profile.credit_score) == (None, None, None)
    assert data.profile.kyc_status == "not_started" and data.profile.last_score_update is None

    wallet = random_wallet()
    updated = user.client.accounts.update_current_user(display_name="Grace", wallet_address=wallet)
    score = user.client.credit.calculate_credit_score().data
    details = user.client.accounts.get_profile().data.profile
    assert details.full_name == "Grace" and details.wallet_address == updated.wallet_address
    assert details.credit_score == score.score and details.last_score_update == score.calculated_at


def test_verify_user_email_by_path_activates_the_account(live: Live, user: User) -> None:
    with pytest.raises(meridian.BadRequestError):
        user.client.accounts.verify_user_email(user_id=user.id, token="not-the-token")
    token = live.last_token(user.email, "verify_email")
    ok = user.client.accounts.verify_user_email(user_id=user.id, token=token)
    assert ok == OkResponse(ok=True, message="Email verified")
    me = user.client.accounts.get_current_user()
    assert me.status == "active" and me.verified_at is not None


# ---- Password --------------------------------------------------------------------------------


def test_change_password_replaces_the_password(live: Live, user: User) -> None:
    new_password = "Changed456!"
    assert user.client.accounts.change_password(old_password=PASSWORD, new_password=new_password) == OkResponse(
        ok=True, message="Password changed"
    )
    # This session goes on; logins need the new password.
    assert user.client.accounts.get_current_user().id == user.id
    with pytest.raises(meridian.AuthenticationError):
        live.client().auth.login(email=user.email, password=PASSWORD)
    assert success(live.client().auth.login(email=user.email, password=new_password)).user.id == user.id


def test_change_password_enforces_the_policy(user: User) -> None:
    with pytest.raises(meridian.BadRequestError) as same:
        user.client.accounts.change_password(old_password=PASSWORD, new_password=PASSWORD)
    assert same.value.errors == [{"field": "newPassword", "message": "must differ from oldPassword"}]
    with pytest.raises(meridian.BadRequestError) as weak:
        user.client.accounts.change_password(old_password=PASSWORD, new_password="alllowercase1!")
    assert weak.value.errors == [{"field": "newPassword", "message": "Password must contain an uppercase letter."}]
    # Shorter than 8 characters never leaves the client.
    sent = user.client.attempts
    with pytest.raises(meridian.InvalidRequestError, match="newPassword"):
        user.client.accounts.change_password(old_password=PASSWORD, new_password="Sh0rt!")
    assert user.client.attempts == sent


@pytest.mark.parametrize("operation", ["change_password", "login"])
def test_each_wrong_password_counts_once_towards_the_lockout(user: User, operation: str) -> None:
    def wrong_password() -> None:
        if operation == "change_password":
            user.client.accounts.change_password(old_password="WrongPass123!", new_password="Changed456!")
        else:  # signing a signed-in client in again (e.g. as someone else) with a typo
            user.client.auth.login(email=user.email, password="WrongPass123!")

    for _ in range(4):
        with pytest.raises(meridian.AuthenticationError):
            wrong_password()
    # The fifth failure in a row locks the account.
    with pytest.raises(meridian.LockedError):
        wrong_password()


def test_delete_current_user_erases_the_account(live: Live, user: User) -> None:
    assert user.client.accounts.delete_current_user(password=PASSWORD) == OkResponse(ok=True, message="Account deleted")
    with pytest.raises(meridian.AuthenticationError):
        user.client.accounts.get_current_user()
    with pytest.raises(meridian.AuthenticationError):
        live.client().auth.login(email=user.email, password=PASSWORD)
    # The address is free again: a new account, a new id.
    again = live.client().auth.register(email=user.email, password=PASSWORD)
    assert again.user.id != user.id


# ---- Sessions and events ---------------------------------------------------------------------


def test_sessions_list_marks_the_current_one_and_revoke_ends_another(live: Live, user: User) -> None:
    phone = live.client(user_agent="meridian-tests/phone")
    success(phone.auth.login(email=user.email, password=PASSWORD))

    listed = user.client.accounts.list_sessions()
    assert len(listed.sessions) == 2
    (mine,) = [s for s in listed.sessions if s.current]
    (other,) = [s for s in listed.sessions if not s.current]
    assert mine.user_agent == f"meridian-python/{meridian.__version__}"
    assert other.user_agent == "meridian-tests/phone"
    for session in listed.sessions:
        assert session.user_id == user.id and session.id.startswith("session-")
        assert session.ip_address == "127.0.0.1" and session.revoked_at is None
        # A session lives as long as its refresh token: 7 days.
        assert session.expires_at - session.created_at == datetime.timedelta(days=7)
    # Newest first.
    assert listed.sessions[0].id == other.id

    assert user.client.accounts.revoke_session(id=other.id) == OkResponse(ok=True, message="Session revoked")
    with pytest.raises(meridian.AuthenticationError):
        phone.accounts.get_current_user()
    # Revoking again changes nothing.
    assert user.client.accounts.revoke_session(id=other.id).ok is True

    (revoked,) = user.client.accounts.list_sessions(active=False).sessions
    assert revoked.id == other.id and revoked.revoked_at is not None
    assert [s.id for s in user.client.accounts.list_sessions_iter(active=True)] == [mine.id]
    with pytest.raises(meridian.NotFoundError):
        user.client.accounts.revoke_session(id="session-00000000-0000-0000-0000-000000000000")


def test_events_record_each_request_newest_first(user: User) -> None:
    user.client.accounts.get_current_user()
    with pytest.raises(meridian.NotFoundError) as missing:
        user.client.trading.get_order(id=987_654_321)
    assert REQUEST_ID.fullmatch(missing.value.request_id or "")

    latest, earlier = user.client.accounts.list_events(limit=2)
    assert (latest.service, earlier.service) == ("get_order", "get_current_user")
    assert latest.input is not None and (latest.input.method, latest.input.path) == ("GET", "/api/trading/order/987654321")
    assert earlier.input is not None and (earlier.input.method, earlier.input.path) == ("GET", "/api/users/me")
    assert (latest.output.http_status_code, earlier.output.http_status_code) == (404, 200)
    for event in (latest, earlier):
        assert event.user == user.id and event.id is not None and event.id.startswith("event-")
        assert event.service_data is not None and event.service_data.credential == "access_token"
        assert event.service_data.operation_id == event.service
        assert event.output.start_time <= event.output.end_time
        assert event.output.bytes_out > 0
    assert earlier.output.end_time <= latest.output.start_time

    # limit/offset: the listing above is recorded since, so skipping one finds get_order.
    (newest,) = user.client.accounts.list_events(limit=1)
    assert newest.service == "list_events"
    (skipped,) = user.client.accounts.list_events(limit=1, offset=2)
    assert skipped.id == latest.id
    events = list(user.client.accounts.list_events_iter())
    ids = [e.id for e in events]
    assert len(ids) == len(set(ids)) and latest.id in ids and earlier.id in ids


# ---- Administration (staff and admins) -------------------------------------------------------


def test_admin_reads_users_sessions_and_stats(live: Live, admin: meridian.Client, user: User) -> None:
    listed = admin.accounts.admin_list_users(search=user.email)
    (found,) = listed.users
    assert (listed.pagination.total, listed.pagination.offset, listed.pagination.has_more) == (1, 0, False)
    assert (found.id, found.email, found.role, found.banned, found.email_verified, found.status) == (
        user.id,
        user.email,
        "user",
        False,
        False,
        "pending",
    )
    assert found.last_login_at == user.login.user.last_login
    assert admin.accounts.admin_get_user(id=user.id).user == found
    with pytest.raises(meridian.NotFoundError):
        admin.accounts.admin_get_user(id="user-00000000-0000-0000-0000-000000000000")

    (session,) = admin.accounts.admin_list_sessions(user_id=user.id).sessions
    assert session.user_id == user.id and session.current is False

    stats = admin.accounts.admin_get_stats()
    assert stats.users.total == stats.users.admins + stats.users.staff + stats.users.regular
    assert stats.users.admins >= 1 and stats.users.regular >= 1
    assert 0 <= stats.sessions.active <= stats.sessions.total and stats.sessions.total >= 2
    assert 0 <= stats.api_keys.enabled <= stats.api_keys.total


def test_regular_users_get_403_on_admin_operations(user: User) -> None:
    with pytest.raises(meridian.PermissionDeniedError) as denied:
        user.client.accounts.admin_list_users()
    assert "staff" in denied.value.message
    with pytest.raises(meridian.PermissionDeniedError):
        user.client.accounts.admin_get_stats()
    with pytest.raises(meridian.PermissionDeniedError) as admin_only:
        user.client.accounts.admin_update_user(id=user.id, role="admin")
    assert "admin" in admin_only.value.message


def test_staff_may_read_but_only_admins_change(live: Live, admin: meridian.Client) -> None:
    staff = live.new_user("staff")
    promoted = admin.accounts.admin_update_user(id=staff.id, role="staff", name="Staffer")
    assert (promoted.user.role, promoted.user.name) == ("staff", "Staffer")
    # The role is read per request: the existing session has it at once.
    assert staff.client.accounts.get_current_user().role == "staff"
    assert admin.accounts.admin_list_users(role="staff", search=staff.email).users[0].id == staff.id

    target = live.new_user("target")
    assert staff.client.accounts.admin_get_user(id=target.id).user.email == target.email
    (session,) = staff.client.accounts.admin_list_sessions(user_id=target.id, active=True).sessions
    assert staff.client.accounts.admin_get_stats().users.staff >= 1
    with pytest.raises(meridian.PermissionDeniedError):
        staff.client.accounts.admin_update_user(id=target.id, name="Nope")
    with pytest.raises(meridian.PermissionDeniedError):
        staff.client.accounts.admin_revoke_session(id=session.id)

    # Admins revoke any session, idempotently.
    assert admin.accounts.admin_revoke_session(id=session.id) == OkResponse(ok=True, message="Session revoked")
    assert admin.accounts.admin_revoke_session(id=session.id).ok is True
    with pytest.raises(meridian.AuthenticationError):
        target.client.accounts.get_current_user()
    with pytest.raises(meridian.NotFoundError):
        admin.accounts.admin_revoke_session(id="session-00000000-0000-0000-0000-000000000000")
    # An admin cannot change their own role.
    me = admin.accounts.get_current_user()
    with pytest.raises(meridian.ConflictError):
        admin.accounts.admin_update_user(id=me.id, role="user")


def test_admin_bans_until_a_time_and_lifts_the_ban(live: Live, admin: meridian.Client, user: User) -> None:
    # Any offset: the SDK sends ISO 8601 with it, the server answers in UTC.
    until = datetime.datetime(2031, 1, 1, 2, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    banned = admin.accounts.admin_update_user(id=user.id, banned=True, ban_reason="spam", ban_expires=until)
    assert (banned.user.banned, banned.user.ban_reason, banned.user.status) == (True, "spam", "banned")
    assert banned.user.ban_expires == until
    assert banned.user.ban_expires is not None and banned.user.ban_expires.utcoffset() == datetime.timedelta(0)

    # Banning revoked the user's sessions; logging in is forbidden until the ban ends.
    with pytest.raises(meridian.AuthenticationError):
        user.client.accounts.get_current_user()
    with pytest.raises(meridian.PermissionDeniedError) as refused:
        live.client().auth.login(email=user.email, password=PASSWORD)
    assert "2031-01-01T00:30:00Z" in refused.value.message
    assert [u.id for u in admin.accounts.admin_list_users_iter(banned=True, search=user.email)] == [user.id]

    lifted = admin.accounts.admin_update_user(id=user.id, banned=False)
    assert (lifted.user.banned, lifted.user.ban_reason, lifted.user.ban_expires) == (False, None, None)
    assert success(live.client().auth.login(email=user.email, password=PASSWORD)).user.id == user.id


def test_a_naive_ban_time_is_refused_before_sending(admin: meridian.Client, user: User) -> None:
    sent = admin.attempts
    with pytest.raises(ValueError, match="naive datetime"):
        admin.accounts.admin_update_user(id=user.id, banned=True, ban_expires=datetime.datetime(2031, 1, 1))
    assert admin.attempts == sent
    assert admin.accounts.admin_get_user(id=user.id).user.banned is False


def test_admin_given_name_is_trimmed(admin: meridian.Client, user: User) -> None:
    assert admin.accounts.admin_update_user(id=user.id, name="  Spaced  ").user.name == "Spaced"
