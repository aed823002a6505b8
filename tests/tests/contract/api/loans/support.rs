//! Shared helpers of the loans tests: a server whose clock is fixed at the spec's example
//! instants, an applicant and a staff member, raw JSON calls of every loans operation (the
//! validating proxy checks each answer), exact reading of JSON numbers, and an independent
//! amortization (annuity, schedule lines, due dates) to compare the server's figures with.

use meridian::GeneratedClient;
use meridian_contract_tests::TestServer;
use meridian_contract_tests::fixtures::{SignedIn, client_with_token, request, set_role, signed_in_user};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Value, json};

/// When the spec's example application was submitted (`submitted_at`).
pub const APPLIED_AT: &str = "2024-12-30T15:30:00Z";
/// When the spec's example loan was approved and disbursed (`decided_at`, `disbursed_at`).
pub const DECIDED_AT: &str = "2024-12-30T16:00:00Z";
/// When the spec's example first installment was paid (`paid_at`).
pub const FIRST_PAID_AT: &str = "2025-01-28T09:15:00Z";

/// Milliseconds since the Unix epoch of a UTC instant written `YYYY-MM-DDTHH:MM:SSZ`.
pub fn ms(instant: &str) -> i64 {
    fn bad(instant: &str) -> ! {
        panic!("`{instant}` is not YYYY-MM-DDTHH:MM:SSZ")
    }
    let numbers = |text: &str, separator: char| -> Vec<i64> {
        text.split(separator)
            .map(|p| p.parse().unwrap_or_else(|_| bad(instant)))
            .collect()
    };
    let Some((date, time)) = instant.strip_suffix('Z').and_then(|s| s.split_once('T')) else {
        bad(instant)
    };
    let (ymd, hms) = (numbers(date, '-'), numbers(time, ':'));
    let (&[y, m, d], &[h, mi, s]) = (ymd.as_slice(), hms.as_slice()) else {
        bad(instant)
    };
    // Days from 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's days_from_civil).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    ((days * 24 + h) * 60 + mi) * 60_000 + s * 1000
}

/// The wire text of a UTC instant written `YYYY-MM-DDTHH:MM:SSZ` (RFC 3339, milliseconds).
pub fn wire_time(instant: &str) -> String {
    format!("{}.000Z", instant.strip_suffix('Z').expect("a UTC instant"))
}

/// A decimal from text.
pub fn d(text: &str) -> Decimal {
    text.parse().unwrap_or_else(|e| panic!("`{text}`: {e}"))
}

/// A JSON number with exactly this text (serde_json keeps it: `arbitrary_precision`).
pub fn num(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("`{text}` is not a JSON number: {e}"))
}

/// The exact decimal a JSON number carries (panics on anything but a number).
pub fn dec(value: &Value) -> Decimal {
    match value {
        Value::Number(n) => d(&n.to_string()),
        other => panic!("expected a JSON number, got {other}"),
    }
}

/// Half-up (away from zero) to `places` decimals.
pub fn half_up(value: Decimal, places: u32) -> Decimal {
    value.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero)
}

/// `value` is a percentage from 0 to 100 with at most one decimal.
pub fn assert_probability(value: &Value) {
    let p = dec(value);
    assert!(
        p >= Decimal::ZERO && p <= Decimal::ONE_HUNDRED,
        "approval_probability {p}"
    );
    assert!(
        p.normalize().scale() <= 1,
        "approval_probability {p} has more than one decimal"
    );
}

/// The field the first entry of a 400's `errors` names.
pub fn field_of(body: &Value) -> &str {
    body["errors"][0]["field"]
        .as_str()
        .unwrap_or_else(|| panic!("no errors[0].field in {body}"))
}

/// The standard monthly payment, computed here independently of the server: `amount × r /
/// (1 − (1 + r)^−n)` with `r = rate / 1200`, half-up to cents (`amount / n` at rate 0).
pub fn annuity(amount: Decimal, rate: Decimal, term: u32) -> Decimal {
    if rate.is_zero() {
        return half_up(amount / Decimal::from(term), 2);
    }
    let r = rate / Decimal::from(1200);
    let mut growth = Decimal::ONE;
    for _ in 0..term {
        growth *= Decimal::ONE + r;
    }
    half_up(amount * r / (Decimal::ONE - Decimal::ONE / growth), 2)
}

/// One projected schedule line: `(number, payment, principal, interest, remaining_balance)`.
pub type Line = (u32, Decimal, Decimal, Decimal, Decimal);

/// The schedule the spec describes, from installment `first` with `balance` outstanding:
/// interest = balance × rate / 1200 half-up to cents, principal = monthly − interest, and the
/// last line (number `term`, or the first whose balance plus interest fits in one monthly
/// payment) pays the balance off.
pub fn amortize(balance: Decimal, rate: Decimal, term: u32, monthly: Decimal, first: u32) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut balance = balance;
    for number in first.. {
        let interest = half_up(balance * rate / Decimal::from(1200), 2);
        if number >= term || balance + interest <= monthly {
            lines.push((number, balance + interest, balance, interest, Decimal::ZERO));
            return lines;
        }
        let principal = monthly - interest;
        balance -= principal;
        lines.push((number, monthly, principal, interest, balance));
    }
    unreachable!()
}

/// `YYYY-MM-DD` `months` calendar months after `start` (`YYYY-MM-DD`), on the same day or the
/// month's last day when it is shorter.
pub fn months_after(start: &str, months: u32) -> String {
    let parts: Vec<u32> = start.split('-').map(|p| p.parse().expect("a date")).collect();
    let (y, m, day) = (parts[0], parts[1], parts[2]);
    let index = y * 12 + (m - 1) + months;
    let (y, m) = (index / 12, index % 12 + 1);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let last = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    format!("{y:04}-{m:02}-{:02}", day.min(last))
}

/// The spec's example application (10000 at 5.5 % over 36 months, personal).
pub fn seed_application() -> Value {
    json!({
        "loan_type": "personal",
        "requested_amount": num("10000.00"),
        "requested_term_months": 36,
        "requested_rate": num("5.5"),
        "application_data": {"purpose": "Debt consolidation", "employment_status": "employed"}
    })
}

/// An application of `amount` over `term` months (no rate, no data).
pub fn application(loan_type: &str, amount: &str, term: i64) -> Value {
    json!({"loan_type": loan_type, "requested_amount": num(amount), "requested_term_months": term})
}

/// A server with the clock fixed at [`APPLIED_AT`], a signed-in applicant and a staff member.
pub struct Env {
    /// The server.
    pub server: TestServer,
    /// A user with role `user`.
    pub applicant: SignedIn,
    /// A user with role `staff`.
    pub staff: SignedIn,
}

impl Env {
    /// A default server (×1000 budgets).
    pub async fn start(prefix: &str) -> Self {
        Self::on(TestServer::start().await, prefix).await
    }

    /// `server`, with its clock fixed at [`APPLIED_AT`], an applicant and a staff member.
    pub async fn on(server: TestServer, prefix: &str) -> Self {
        server.state().clock.set_ms(ms(APPLIED_AT));
        let applicant = signed_in_user(&server, prefix).await;
        let staff = signed_in_user(&server, &format!("{prefix}-staff")).await;
        set_role(&server, &staff.id, "staff").await;
        Self {
            server,
            applicant,
            staff,
        }
    }

    /// Fixes the server's clock at `instant` (`YYYY-MM-DDTHH:MM:SSZ`).
    pub fn at(&self, instant: &str) {
        self.server.state().clock.set_ms(ms(instant));
    }

    /// Another signed-in user (role `user`).
    pub async fn user(&self, prefix: &str) -> SignedIn {
        signed_in_user(&self.server, prefix).await
    }

    /// An SDK client acting as `user`.
    pub fn client(&self, user: &SignedIn) -> GeneratedClient {
        client_with_token(&self.server, &user.access_token)
    }

    /// A raw JSON call through the validating proxy: status and body.
    pub async fn call(&self, method: &str, path: &str, user: &SignedIn, body: Option<Value>) -> (u16, Value) {
        request(&self.server, method, path, Some(&user.access_token), body).await
    }

    /// A raw JSON `POST` with an `Idempotency-Key`: status and body.
    pub async fn post_with_key(&self, path: &str, token: &str, key: &str, body: &Value) -> (u16, Value) {
        let response = self
            .server
            .http()
            .post(format!("{}{path}", self.server.url))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await
            .expect("the proxy answers");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// `POST /api/loans/apply` as `user`, which must answer 201: the new loan.
    pub async fn apply(&self, user: &SignedIn, body: Value) -> Value {
        let (status, answer) = self.call("POST", "/api/loans/apply", user, Some(body.clone())).await;
        assert_eq!(status, 201, "{body} → {answer}");
        assert_eq!(answer["message"], "Loan application submitted successfully");
        answer["data"].clone()
    }

    /// `POST /api/loans/apply` as `user`, raw: status and body.
    pub async fn try_apply(&self, user: &SignedIn, body: Value) -> (u16, Value) {
        self.call("POST", "/api/loans/apply", user, Some(body)).await
    }

    /// `POST /api/admin/loans/{id}/decision` as `by`: status and body.
    pub async fn decide_as(&self, by: &SignedIn, id: &str, body: Value) -> (u16, Value) {
        self.call("POST", &format!("/api/admin/loans/{id}/decision"), by, Some(body))
            .await
    }

    /// [`Env::decide_as`] the staff member.
    pub async fn decide(&self, id: &str, body: Value) -> (u16, Value) {
        self.decide_as(&self.staff, id, body).await
    }

    /// Staff approve `id` as requested, which must answer 200: the loan.
    pub async fn approve(&self, id: &str) -> Value {
        let (status, answer) = self.decide(id, json!({"decision": "approve"})).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["message"], "Loan application approved");
        answer["data"].clone()
    }

    /// `POST /api/loans/{id}/payments` of `amount` (a JSON number with this text) as `user`.
    pub async fn pay(&self, user: &SignedIn, id: &str, amount: &str) -> (u16, Value) {
        self.call(
            "POST",
            &format!("/api/loans/{id}/payments"),
            user,
            Some(json!({"amount": num(amount)})),
        )
        .await
    }

    /// [`Env::pay`], which must answer 201: `data` (`payment` and `loan`).
    pub async fn paid(&self, user: &SignedIn, id: &str, amount: &str) -> Value {
        let (status, answer) = self.pay(user, id, amount).await;
        assert_eq!(status, 201, "paying {amount}: {answer}");
        answer["data"].clone()
    }

    /// `GET /api/loans/{id}/schedule` as `user`: status and body.
    pub async fn schedule(&self, user: &SignedIn, id: &str) -> (u16, Value) {
        self.call("GET", &format!("/api/loans/{id}/schedule"), user, None).await
    }

    /// [`Env::schedule`], which must answer 200: `data`.
    pub async fn schedule_of(&self, user: &SignedIn, id: &str) -> Value {
        let (status, answer) = self.schedule(user, id).await;
        assert_eq!(status, 200, "{answer}");
        answer["data"].clone()
    }

    /// `GET /api/loans/{id}` as `user`, which must answer 200: the loan.
    pub async fn loan(&self, user: &SignedIn, id: &str) -> Value {
        let (status, answer) = self.call("GET", &format!("/api/loans/{id}"), user, None).await;
        assert_eq!(status, 200, "{answer}");
        answer["data"].clone()
    }

    /// `user`'s credit events (first page of 100), newest first.
    pub async fn history(&self, user: &SignedIn) -> Vec<Value> {
        let (status, answer) = self.call("GET", "/api/credit/history?per_page=100", user, None).await;
        assert_eq!(status, 200, "{answer}");
        answer["data"]["history"].as_array().expect("history").clone()
    }

    /// `user`'s credit events of `event_type` about loan `id`, newest first.
    pub async fn events(&self, user: &SignedIn, id: &str, event_type: &str) -> Vec<Value> {
        self.history(user)
            .await
            .into_iter()
            .filter(|e| e["loan_id"] == id && e["event_type"] == event_type)
            .collect()
    }

    /// The spec's example loan of the applicant: the seed application at [`APPLIED_AT`],
    /// approved as requested at [`DECIDED_AT`] (the clock stays there). Its id.
    pub async fn spec_loan(&self) -> String {
        self.at(APPLIED_AT);
        let loan = self.apply(&self.applicant, seed_application()).await;
        let id = loan["id"].as_str().expect("id").to_owned();
        self.at(DECIDED_AT);
        self.approve(&id).await;
        id
    }
}

/// The id of a loan JSON object.
pub fn id_of(loan: &Value) -> String {
    loan["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {loan}"))
        .to_owned()
}

#[test]
fn the_helpers_agree_with_known_values() {
    assert_eq!(ms("1970-01-01T00:00:00Z"), 0);
    // The trading tests' T0, 2026-03-03T10:00:00Z.
    assert_eq!(ms("2026-03-03T10:00:00Z"), 1_772_532_000_000);
    assert_eq!(ms("2024-02-29T00:00:01Z") - ms("2024-02-28T00:00:01Z"), 86_400_000);
    assert_eq!(months_after("2024-12-30", 2), "2025-02-28");
    assert_eq!(months_after("2024-01-31", 1), "2024-02-29");
    assert_eq!(months_after("2024-12-30", 36), "2027-12-30");
    assert_eq!(annuity(d("10000"), d("5.5"), 36), d("301.96"));
    assert_eq!(annuity(d("1000"), d("0"), 36), d("27.78"));
}
