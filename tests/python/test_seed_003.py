"""Seed 003 (BlockScore) as printed, against the real server: its Python `requests`
walkthrough (register, login, calculate the credit score) run verbatim but for BASE_URL, its
cURL walkthrough run by bash with curl and jq, and each cURL reference example of the credit
and loans groups (calculate-score, history, apply, calculate) run by curl with the host
replaced and the access token filled in.

The seed's text lost its indentation (the JSON and the Python are the same without it) and
glued "Response: 200 OK" to the end of each command; the commands below stop where the
seed's command stops.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import subprocess
from decimal import ROUND_HALF_UP, Decimal

import pytest
import requests

from conftest import Server

SEED_HOST = "http://localhost:5000"
SEED_WALLET = "0x742d35Cc6634C0532925a3b844Bc454e4438f44e"
# The seed's cURL examples need curl (and its walkthrough jq); a machine without them skips
# those parts, saying so.
HAS_CURL_AND_JQ = bool(shutil.which("curl") and shutil.which("jq"))
NO_CURL_REASON = "the seed's cURL examples need curl and jq on PATH"

RATINGS = [(800, "Exceptional"), (740, "Very Good"), (670, "Good"), (580, "Fair"), (300, "Poor")]

# Seed 003's "Python" example, verbatim.
SEED_PYTHON = '''import requests
BASE_URL = "http://localhost:5000/api"
# Register
response = requests.post(f"{BASE_URL}/auth/register", json={
"email": "user@example.com",
"password": "SecurePass123!"
})
print(response.json())
# Login
response = requests.post(f"{BASE_URL}/auth/login", json={
"email": "user@example.com",
"password": "SecurePass123!"
})
tokens = response.json()["tokens"]
access_token = tokens["access_token"]
# Calculate Credit Score
headers = {"Authorization": f"Bearer {access_token}"}
response = requests.post(
f"{BASE_URL}/credit/calculate-score",
headers=headers,
json={"walletAddress": "0x742d35Cc6634C0532925a3b844Bc454e4438f44e"}
)
print(response.json())'''

# Seed 003's "cURL" walkthrough, verbatim.
SEED_CURL_WALKTHROUGH = """# Register
curl -X POST http://localhost:5000/api/auth/register \\
-H "Content-Type: application/json" \\
-d '{"email":"user@example.com","password":"SecurePass123!"}'
# Login
TOKEN=$(curl -X POST http://localhost:5000/api/auth/login \\
-H "Content-Type: application/json" \\
-d '{"email":"user@example.com","password":"SecurePass123!"}' \\
| jq -r '.tokens.access_token')
# Calculate Score
curl -X POST http://localhost:5000/api/credit/calculate-score \\
-H "Authorization: Bearer $TOKEN" \\
-H "Content-Type: application/json" \\
-d '{"walletAddress":"0x742d35Cc6634C0532925a3b844Bc454e4438f44e"}'"""

# Seed 003's cURL reference examples of the credit and loans groups, verbatim.
SEED_CALCULATE_SCORE = """curl -X POST http://localhost:5000/api/credit/calculate-score \\
-H "Authorization: Bearer <access_token>" \\
-H "Content-Type: application/json" \\
-d '{
"walletAddress": "0x742d35Cc6634C0532925a3b844Bc454e4438f44e",
"force_recalculation": false
}'"""

SEED_HISTORY = """curl -X GET "http://localhost:5000/api/credit/history?page=1&per_page=20" \\
-H "Authorization: Bearer <access_token>\""""

SEED_APPLY = """curl -X POST http://localhost:5000/api/loans/apply \\
-H "Authorization: Bearer <access_token>" \\
-H "Content-Type: application/json" \\
-d '{
"loan_type": "personal",
"requested_amount": 10000.00,
"requested_term_months": 36,
"requested_rate": 5.5,
"application_data": {
"purpose": "Debt consolidation",
"employment_status": "employed"
}
}'"""

SEED_LOAN_CALCULATE = """curl -X POST http://localhost:5000/api/loans/calculate \\
-H "Authorization: Bearer <access_token>" \\
-H "Content-Type: application/json" \\
-d '{
"amount": 10000,
"rate": 5.5,
"term_months": 36
}'"""


def band(score: int) -> str:
    """Seed 003's rating of a score."""
    return next(name for floor, name in RATINGS if score >= floor)


def assert_credit_score(body: dict, wallet: str | None) -> dict:
    """Seed 003's calculate-score 200 shape (plus Meridian's documented fields); the data."""
    assert body["success"] is True, body
    data = body["data"]
    assert data["credit_score_id"].startswith("cs_")
    assert isinstance(data["score"], int) and 300 <= data["score"] <= 850
    assert data["score_range"] == {"min": 300, "max": 850}
    assert data["rating"] == band(data["score"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", data["calculated_at"])
    assert data["model_version"]
    for factor in data["factors"]:
        assert set(factor) == {"factor", "impact", "description"}
        assert factor["impact"] in ("positive", "negative")
    assert all(isinstance(r, str) for r in data["recommendations"])
    points = sum(Decimal(str(c["points"])) for c in data["components"].values())
    assert data["score"] == int((300 + points).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert data["wallet_address"] == wallet
    return data


def run_bash(script: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60, check=True)


def json_documents(text: str) -> list:
    """The JSON documents printed one after the other (curl adds no newline)."""
    decoder, docs, i = json.JSONDecoder(), [], 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        doc, i = decoder.raw_decode(text, i)
        docs.append(doc)
    return docs


def curl(server: Server, command: str, token: str) -> tuple[int, dict]:
    """Runs a seed cURL example (host replaced, token filled in) with output options added
    after it; the status and the JSON body (numbers kept exact as Decimal)."""
    script = command.replace(SEED_HOST, server.base_url).replace("<access_token>", token)
    out = run_bash(script + " --silent --show-error --write-out '\\n%{http_code}'").stdout
    body, _, status = out.rpartition("\n")
    return int(status), json.loads(body, parse_float=Decimal)


def test_seed_walkthroughs_python_then_curl(server: Server, monkeypatch: pytest.MonkeyPatch, capsys):
    # The Python walkthrough, verbatim but for BASE_URL; every requests.post is recorded.
    sent = []
    real_post = requests.post

    def recording_post(url, **kwargs):
        response = real_post(url, timeout=10, **kwargs)
        sent.append((url, response))
        return response

    monkeypatch.setattr(requests, "post", recording_post)
    code = SEED_PYTHON.replace('BASE_URL = "http://localhost:5000/api"', 'BASE_URL = f"{server.base_url}/api"')
    assert code != SEED_PYTHON
    exec(compile(code, "seed_003_python", "exec"), {"server": server})
    monkeypatch.undo()

    assert [url.removeprefix(server.base_url) for url, _ in sent] == [
        "/api/auth/register",
        "/api/auth/login",
        "/api/credit/calculate-score",
    ]
    (_, register), (_, login), (_, calculate) = sent
    assert register.status_code == 201, register.text
    registered = register.json()
    assert registered["success"] is True
    assert registered["message"].startswith("User registered successfully")
    assert registered["user"]["email"] == "user@example.com"
    assert registered["user"]["status"] == "pending"
    assert registered["user"]["id"] and registered["user"]["created_at"]
    assert login.status_code == 200, login.text
    assert calculate.status_code == 200, calculate.text
    score = assert_credit_score(calculate.json(), SEED_WALLET)
    assert score["reused"] is False
    # It printed the two bodies.
    printed = capsys.readouterr().out.splitlines()
    assert printed == [str(registered), str(calculate.json())]

    # The cURL walkthrough for the same user: the account exists (seed 003's 409), login
    # works, and the score calculated a moment ago is reused.
    if not HAS_CURL_AND_JQ:
        pytest.skip(NO_CURL_REASON)
    out = run_bash(SEED_CURL_WALKTHROUGH.replace(SEED_HOST, server.base_url)).stdout
    conflict, again = json_documents(out)
    assert conflict["success"] is False and conflict["error"] == "Conflict", conflict
    again = assert_credit_score(again, SEED_WALLET)
    assert again["reused"] is True
    assert again["credit_score_id"] == score["credit_score_id"]


@pytest.mark.skipif(not HAS_CURL_AND_JQ, reason=NO_CURL_REASON)
def test_seed_curl_examples_of_credit_and_loans(server: Server):
    email = f"curl-{secrets.token_hex(6)}@example.com"
    password = "SecurePass123!"
    r = requests.post(f"{server.base_url}/api/auth/register", json={"email": email, "password": password}, timeout=10)
    assert r.status_code == 201, r.text
    r = requests.post(f"{server.base_url}/api/auth/login", json={"email": email, "password": password}, timeout=10)
    assert r.status_code == 200, r.text
    token = r.json()["tokens"]["access_token"]

    status, body = curl(server, SEED_CALCULATE_SCORE, token)
    assert status == 200, body
    score = assert_credit_score(body, SEED_WALLET)
    assert score["reused"] is False

    status, body = curl(server, SEED_APPLY, token)
    assert status == 201, body
    assert body["success"] is True
    assert body["message"] == "Loan application submitted successfully"
    loan = body["data"]
    assert loan["id"].startswith("la_")
    assert re.fullmatch(r"LA-\d{4}-\d{6}", loan["application_number"])
    assert loan["status"] == "submitted"
    assert loan["loan_type"] == "personal"
    assert loan["requested_amount"] == Decimal("10000")
    assert loan["requested_term_months"] == 36
    assert str(loan["requested_rate"]) == "5.5"
    assert loan["credit_score_at_application"] == score["score"]
    assert 0 <= loan["approval_probability"] <= 100
    assert loan["estimated_response_time"] == "24-48 hours"
    assert loan["application_data"] == {"purpose": "Debt consolidation", "employment_status": "employed"}

    status, body = curl(server, SEED_HISTORY, token)
    assert status == 200, body
    assert body["success"] is True
    (event,) = body["data"]["history"]
    assert event["id"].startswith("ch_")
    assert event["event_type"] == "credit_inquiry"
    assert event["impact"] == "neutral"
    assert event["description"] == "Credit check for loan application"
    assert event["loan_id"] == loan["id"]
    assert "amount" not in event
    assert body["data"]["pagination"] == {
        "page": 1,
        "per_page": 20,
        "total": 1,
        "pages": 1,
        "has_next": False,
        "has_prev": False,
    }

    status, body = curl(server, SEED_LOAN_CALCULATE, token)
    assert status == 200, body
    assert body["success"] is True
    data = body["data"]
    # Seed 003's figures, to the digit as JSON text.
    assert [str(data[k]) for k in ("monthly_payment", "total_payment", "total_interest")] == [
        "301.96",
        "10870.56",
        "870.56",
    ]
    assert data["loan_amount"] == Decimal("10000")
    assert str(data["interest_rate"]) == "5.5"
    assert data["term_months"] == 36
    assert data["credit_score"] == score["score"]
    assert 0 <= data["approval_probability"] <= 100
    assert data["approval_probability"] == round(data["approval_probability"], 1)
