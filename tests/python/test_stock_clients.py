"""Stock third-party clients against the real server: Python `requests-oauthlib` runs the
OAuth 2.0 client-credentials flow on /api/oauth/token unchanged, and `pyotp` (an
independent RFC 6238 implementation) computes the 2FA codes the server must accept.
"""

from __future__ import annotations

import os
import secrets
import time

import pyotp
import requests
from oauthlib.oauth2 import BackendApplicationClient
from requests_oauthlib import OAuth2Session

from conftest import Server

PASSWORD = "SecurePass123!"

# The test server speaks plain HTTP on loopback; oauthlib refuses that unless told.
os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"


def signed_in(server: Server, prefix: str) -> tuple[str, str]:
    """Registers and logs in a fresh user; (email, access token)."""
    email = f"{prefix}-{secrets.token_hex(6)}@example.com"
    r = requests.post(f"{server.base_url}/api/auth/register", json={"email": email, "password": PASSWORD}, timeout=10)
    assert r.status_code == 201, r.text
    r = requests.post(f"{server.base_url}/api/auth/login", json={"email": email, "password": PASSWORD}, timeout=10)
    assert r.status_code == 200, r.text
    return email, r.json()["tokens"]["access_token"]


def test_requests_oauthlib_client_credentials(server: Server):
    _, token = signed_in(server, "oauthlib")
    auth = {"Authorization": f"Bearer {token}"}
    r = requests.post(f"{server.base_url}/api/users/me/client-keys", json={"name": "oauthlib"}, headers=auth, timeout=10)
    assert r.status_code == 200, r.text
    key = r.json()

    session = OAuth2Session(client=BackendApplicationClient(client_id=key["clientId"]))
    issued = session.fetch_token(
        token_url=f"{server.base_url}/api/oauth/token",
        client_id=key["clientId"],
        client_secret=key["clientSecret"],
    )
    assert issued["token_type"] == "Bearer"
    assert issued["expires_in"] == 3600
    assert issued["access_token"]

    # The stock session sends the token; client tokens never act on account endpoints (403).
    r = session.get(f"{server.base_url}/api/users/me/client-keys", timeout=10)
    assert r.status_code == 403, r.text
    assert r.json()["success"] is False

    # Deleting the key stops its tokens at once (401).
    r = requests.delete(f"{server.base_url}/api/users/me/client-keys/{key['id']}", headers=auth, timeout=10)
    assert r.status_code == 204, r.text
    r = session.get(f"{server.base_url}/api/users/me/client-keys", timeout=10)
    assert r.status_code == 401, r.text


def test_pyotp_codes_enable_and_pass_2fa(server: Server):
    email, token = signed_in(server, "pyotp")
    auth = {"Authorization": f"Bearer {token}"}
    r = requests.get(f"{server.base_url}/api/auth/2fa/enable", headers=auth, timeout=10)
    assert r.status_code == 200, r.text
    setup = r.json()
    totp = pyotp.TOTP(setup["secret"])
    assert setup["otpauth_url"].startswith("otpauth://totp/")
    assert pyotp.parse_uri(setup["otpauth_url"]).secret == setup["secret"]

    now = time.time()
    r = requests.post(f"{server.base_url}/api/auth/2fa/enable", json={"totp_code": totp.at(now)}, headers=auth, timeout=10)
    assert r.status_code == 200, r.text
    assert len(r.json()["recovery_codes"]) == 10

    # Without a code: requires_2fa, no tokens.
    r = requests.post(f"{server.base_url}/api/auth/login", json={"email": email, "password": PASSWORD}, timeout=10)
    assert r.status_code == 200 and r.json().get("requires_2fa") is True, r.text
    # The code used to enable is spent; the next step's code (within the ±1 step window) works once.
    used = totp.at(now)
    r = requests.post(
        f"{server.base_url}/api/auth/login", json={"email": email, "password": PASSWORD, "totp_code": used}, timeout=10
    )
    assert r.status_code == 401, r.text
    following = totp.at(now + 30)
    r = requests.post(
        f"{server.base_url}/api/auth/login", json={"email": email, "password": PASSWORD, "totp_code": following}, timeout=10
    )
    assert r.status_code == 200 and "tokens" in r.json(), r.text
