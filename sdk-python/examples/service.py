"""A service acting with a client key: the owner creates the key, the service signs in with
OAuth 2.0 client credentials (the SDK fetches and renews its tokens) and reads balances.

``MERIDIAN_URL=… MERIDIAN_EMAIL=… python service.py`` (after quickstart.py)
"""

from __future__ import annotations

import os

import meridian

URL = os.environ.get("MERIDIAN_URL", "http://127.0.0.1:8080")
EMAIL = os.environ.get("MERIDIAN_EMAIL", "quickstart@example.com")


def main() -> None:
    owner = meridian.Client(URL)
    owner.auth.login(email=EMAIL, password="SecurePass123!")
    key = owner.client_keys.create_client_key(name="example service", scopes=["trading:read", "credit:read"])
    print(f"client key {key.client_id} created")

    service = meridian.Client(URL, client_id=key.client_id, client_secret=key.client_secret, scopes=["trading:read"])
    for balance in service.trading.get_balances().balances:
        print(f"{balance.asset}: {balance.free} free")
    try:
        service.loans.list_loans()
    except meridian.PermissionDeniedError as error:
        print(f"no loans:read scope: {error.status} {error.error}")
    print(f"{service.attempts} requests sent (the token grant included)")
    if key.id is not None:
        owner.client_keys.delete_client_key(id=key.id)


if __name__ == "__main__":
    main()
