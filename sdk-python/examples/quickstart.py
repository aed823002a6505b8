"""Quickstart: register (when new), sign in, read the profile, sign out.

``MERIDIAN_URL=http://127.0.0.1:8080 MERIDIAN_EMAIL=you@example.com python quickstart.py``
"""

from __future__ import annotations

import os

import meridian

URL = os.environ.get("MERIDIAN_URL", "http://127.0.0.1:8080")
EMAIL = os.environ.get("MERIDIAN_EMAIL", "quickstart@example.com")
PASSWORD = "SecurePass123!"


def main() -> None:
    client = meridian.Client(URL, timeout=10)
    try:
        client.auth.register(email=EMAIL, password=PASSWORD)
        print(f"registered {EMAIL}")
    except meridian.ConflictError:
        print(f"{EMAIL} already exists")

    # Signing in keeps the tokens in the client; it refreshes them itself.
    answer = client.auth.login(email=EMAIL, password=PASSWORD)
    if not isinstance(answer, meridian.models.LoginSuccess):
        raise SystemExit(f"2FA is on: {answer.message}")
    print(f"signed in as {answer.user.email} ({answer.user.id})")

    profile = client.accounts.get_profile()
    print(f"profile: {profile.data.email}, status {profile.data.status}")
    try:
        client.accounts.revoke_session(id="no-such-session")
    except meridian.NotFoundError as error:
        print(f"as expected, {error.status} {error.error} (request {error.request_id})")
    client.auth.logout()
    print("signed out")


if __name__ == "__main__":
    main()
