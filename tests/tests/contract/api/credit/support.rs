//! Shared helpers of the credit tests: a server whose clock is stopped at [`T0`], the
//! documented invariants of a credit score checked on every response ([`Card::of`]), and the
//! loan flows (apply, staff decision, payment) that write the records the score reads.

use meridian::GeneratedClient;
use meridian::types::CalculateCreditScoreRequest;
use meridian_contract_tests::TestServer;
use meridian_contract_tests::fixtures::{SignedIn, client_with_token, request, set_role, signed_in_user};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Value, json};

/// 2026-03-03T10:00:00Z, where the credit tests stop the server's clock.
pub const T0: i64 = 1_772_532_000_000;
/// One minute in milliseconds.
pub const MINUTE: i64 = 60_000;
/// One hour in milliseconds.
pub const HOUR: i64 = 60 * MINUTE;
/// One day in milliseconds.
pub const DAY: i64 = 24 * HOUR;

/// The scorecard's parts, in the spec's order, with their weights and maximum points.
pub const PARTS: [(&str, i64, &str); 5] = [
    ("payment_history", 35, "192.5"),
    ("amounts_owed", 30, "165"),
    ("length_of_history", 15, "82.5"),
    ("new_credit", 10, "55"),
    ("credit_mix", 10, "55"),
];

/// Index of a part in [`PARTS`] (and in [`Card::points`]).
pub const PAYMENT_HISTORY: usize = 0;
/// See [`PAYMENT_HISTORY`].
pub const AMOUNTS_OWED: usize = 1;
/// See [`PAYMENT_HISTORY`].
pub const LENGTH_OF_HISTORY: usize = 2;
/// See [`PAYMENT_HISTORY`].
pub const NEW_CREDIT: usize = 3;
/// See [`PAYMENT_HISTORY`].
pub const CREDIT_MIX: usize = 4;

/// Seed 003's wallet address (EIP-55 checksummed).
pub const SEED_WALLET: &str = "0x742d35Cc6634C0532925a3b844Bc454e4438f44e";

/// A decimal from text.
pub fn d(text: &str) -> Decimal {
    text.parse().unwrap_or_else(|e| panic!("`{text}`: {e}"))
}

/// A JSON number with exactly the text of `decimal`.
pub fn num(decimal: Decimal) -> Value {
    serde_json::from_str(&decimal.to_string()).expect("a decimal is a JSON number")
}

/// The exact decimal a JSON number carries (serde_json keeps its text).
pub fn number(value: &Value) -> Decimal {
    assert!(value.is_number(), "not a JSON number: {value}");
    d(&value.to_string())
}

/// Seed 003's rating band of `score`.
pub fn band(score: i64) -> &'static str {
    match score {
        800..=850 => "Exceptional",
        740..=799 => "Very Good",
        670..=739 => "Good",
        580..=669 => "Fair",
        300..=579 => "Poor",
        other => panic!("score {other} is outside 300–850"),
    }
}

/// One factor of a score.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Factor {
    /// Short name.
    pub factor: String,
    /// `positive` or `negative`.
    pub impact: String,
    /// The figures it is based on.
    pub description: String,
}

/// A credit score as the API returned it, checked against every documented invariant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    /// `cs_…`.
    pub id: String,
    /// 300–850.
    pub score: i64,
    /// The band's name.
    pub rating: String,
    /// `calculated_at` in milliseconds since the epoch.
    pub calculated_at_ms: i64,
    /// `calculated_at` as sent.
    pub calculated_at: String,
    /// The scorecard version.
    pub model_version: String,
    /// Points of each part, in [`PARTS`] order.
    pub points: [Decimal; 5],
    /// Most influential first.
    pub factors: Vec<Factor>,
    /// What would raise the score.
    pub recommendations: Vec<String>,
    /// Whether an earlier score was returned.
    pub reused: bool,
    /// `wallet_address` (`None` for `null`).
    pub wallet: Option<String>,
}

impl Card {
    /// Parses the `data` of a credit-score response, asserting its documented shape: id
    /// `cs_…`, score in 300–850 and equal to `300 + Σ points` rounded half-up, the fixed
    /// range, the rating of the score's band, the five parts with their weights and
    /// maxima, points between 0 and the maximum in cents, factors with a positive or
    /// negative impact, `reused` and `wallet_address` always sent.
    pub fn of(data: &Value) -> Card {
        // The SDK's own types accept it (formats, patterns, required fields).
        let typed: meridian::types::CreditScore =
            serde_json::from_value(data.clone()).unwrap_or_else(|e| panic!("not a CreditScore ({e}): {data}"));
        let id = data["credit_score_id"].as_str().expect("credit_score_id").to_owned();
        assert!(id.starts_with("cs_") && id.len() > 3, "credit_score_id {id}");
        let score = data["score"].as_i64().expect("an integer score");
        assert!((300..=850).contains(&score), "score {score}");
        assert_eq!(data["score_range"], json!({"min": 300, "max": 850}));
        assert_eq!(data["rating"], band(score), "the rating is the band of {score}: {data}");
        let model_version = data["model_version"].as_str().expect("model_version").to_owned();
        assert!(!model_version.is_empty());

        let components = data["components"].as_object().expect("components are always sent");
        assert_eq!(components.len(), 5, "exactly the five parts: {data}");
        let mut points = [Decimal::ZERO; 5];
        for (i, (part, weight, max)) in PARTS.iter().enumerate() {
            let c = &components[*part];
            assert_eq!(c["weight"], json!(weight), "{part}.weight");
            assert_eq!(number(&c["max_points"]), d(max), "{part}.max_points");
            let p = number(&c["points"]);
            assert!(p >= Decimal::ZERO && p <= d(max), "{part}.points {p}");
            assert!(p.normalize().scale() <= 2, "{part}.points {p} has more than cents");
            points[i] = p;
        }
        let total = Decimal::from(300) + points.iter().sum::<Decimal>();
        assert_eq!(
            Decimal::from(score),
            total.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero),
            "score = 300 + Σ points ({total}) rounded half-up"
        );

        let factors: Vec<Factor> = data["factors"]
            .as_array()
            .expect("factors")
            .iter()
            .map(|f| {
                let object = f.as_object().expect("a factor object");
                assert_eq!(object.len(), 3, "factor, impact, description: {f}");
                let impact = f["impact"].as_str().expect("impact").to_owned();
                assert!(
                    impact == "positive" || impact == "negative",
                    "a factor moved the score one way: {f}"
                );
                let description = f["description"].as_str().expect("description").to_owned();
                assert!(!description.is_empty());
                Factor {
                    factor: f["factor"].as_str().expect("factor").to_owned(),
                    impact,
                    description,
                }
            })
            .collect();
        let recommendations: Vec<String> = data["recommendations"]
            .as_array()
            .expect("recommendations")
            .iter()
            .map(|r| r.as_str().expect("a recommendation").to_owned())
            .collect();
        let reused = data["reused"].as_bool().expect("reused is always sent");
        let wallet = match data.get("wallet_address") {
            Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            other => panic!("wallet_address is always sent, a string or null: {other:?}"),
        };
        Card {
            id,
            score,
            rating: typed.rating.to_string(),
            calculated_at_ms: typed.calculated_at.timestamp_millis(),
            calculated_at: data["calculated_at"].as_str().expect("calculated_at").to_owned(),
            model_version,
            points,
            factors,
            recommendations,
            reused,
            wallet,
        }
    }

    /// The factor named `name`, if reported.
    pub fn factor(&self, name: &str) -> Option<&Factor> {
        self.factors.iter().find(|f| f.factor == name)
    }

    /// The factor names, in order.
    pub fn names(&self) -> Vec<&str> {
        self.factors.iter().map(|f| f.factor.as_str()).collect()
    }

    /// The factor about `part` (an index into [`PARTS`]), if reported.
    pub fn factor_of(&self, part: usize) -> Option<&Factor> {
        self.factors.iter().find(|f| part_of(&f.factor) == part)
    }

    /// The score's part-by-part points and factors, without what differs between two
    /// calculations of the same records (id, time, `reused`).
    pub fn outcome(&self) -> (i64, &str, [Decimal; 5], &[Factor], &[String]) {
        (
            self.score,
            &self.rating,
            self.points,
            &self.factors,
            &self.recommendations,
        )
    }
}

/// The part a factor name is about (Meridian's factor names, one pair per part).
pub fn part_of(factor: &str) -> usize {
    match factor {
        "Excellent payment history" | "Good payment history" | "Late loan payments" => PAYMENT_HISTORY,
        "Low debt ratio" | "High debt ratio" => AMOUNTS_OWED,
        "Established credit history" | "Short credit history" => LENGTH_OF_HISTORY,
        "No recent credit applications" | "Several recent credit applications" => NEW_CREDIT,
        "Diverse credit mix" | "Limited credit mix" => CREDIT_MIX,
        other => panic!("unknown factor name `{other}`"),
    }
}

/// Asserts that `after` differs from `before` only in the parts listed in `changed`: every
/// other part has the same points and the same factor (or none in both).
pub fn only_changed(before: &Card, after: &Card, changed: &[usize]) {
    for (i, (part, _, _)) in PARTS.iter().enumerate() {
        if changed.contains(&i) {
            continue;
        }
        assert_eq!(before.points[i], after.points[i], "{part} points did not change");
        assert_eq!(before.factor_of(i), after.factor_of(i), "{part} factor did not change");
    }
}

/// The points in [`PARTS`] order from text.
pub fn pts(points: [&str; 5]) -> [Decimal; 5] {
    points.map(d)
}

/// A server with the clock stopped at [`T0`] and a fresh user whose account is younger
/// than the clock by far (so length of history stays at 0 points while tests move the
/// clock by up to 200 days), and the user's SDK client.
pub async fn start(prefix: &str) -> (TestServer, SignedIn, GeneratedClient) {
    let server = TestServer::start().await;
    server.state().clock.set_ms(T0);
    let user = signed_in_user(&server, prefix).await;
    let client = client_with_token(&server, &user.access_token);
    let created = created_ms(&client).await;
    assert!(
        created > T0 + 200 * DAY,
        "precondition: the account ({created}) is created long after the stopped clock"
    );
    (server, user, client)
}

/// When the caller's account was created (milliseconds), from `GET /api/profile`.
pub async fn created_ms(client: &GeneratedClient) -> i64 {
    client
        .get_profile()
        .await
        .expect("profile")
        .into_inner()
        .data
        .created_at
        .timestamp_millis()
}

/// A signed-in user with the `staff` role (decides loan applications).
pub async fn staff(server: &TestServer) -> SignedIn {
    let staff = signed_in_user(server, "staff").await;
    set_role(server, &staff.id, "staff").await;
    staff
}

/// `POST /api/credit/calculate-score` with a raw body text (`None`: no body and no
/// `Content-Type`): the status and the JSON answer.
pub async fn calculate_raw(server: &TestServer, token: &str, body: Option<&str>) -> (u16, Value) {
    let mut request = server
        .http()
        .post(format!("{}/api/credit/calculate-score", server.url))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.header("content-type", "application/json").body(body.to_owned());
    }
    let response = request.send().await.expect("the proxy answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// `POST /api/credit/calculate-score` with `body`, which must answer 200: the score.
pub async fn calculate(server: &TestServer, token: &str, body: Value) -> Card {
    let (status, answer) = request(
        server,
        "POST",
        "/api/credit/calculate-score",
        Some(token),
        Some(body.clone()),
    )
    .await;
    assert_eq!(status, 200, "{body} → {answer}");
    assert_eq!(answer["success"], true);
    Card::of(&answer["data"])
}

/// A forced recalculation through the SDK: a new score from the records as they are now.
pub async fn force(client: &GeneratedClient) -> Card {
    let body = CalculateCreditScoreRequest {
        force_recalculation: true,
        wallet_address: None,
    };
    let answer = client
        .calculate_credit_score(&body)
        .await
        .expect("a forced calculation")
        .into_inner();
    let mut data = serde_json::to_value(&answer.data).expect("score JSON");
    // The SDK reads `"wallet_address": null` as `None` and leaves it out when writing the
    // value back; raw responses are checked for it.
    data.as_object_mut()
        .unwrap()
        .entry("wallet_address")
        .or_insert(Value::Null);
    let card = Card::of(&data);
    assert!(!card.reused, "a forced calculation is never reused");
    card
}

/// A personal-loan application body.
pub fn personal(amount: &str, term_months: i64, rate: &str) -> Value {
    json!({
        "loan_type": "personal",
        "requested_amount": num(d(amount)),
        "requested_term_months": term_months,
        "requested_rate": num(d(rate)),
    })
}

/// `POST /api/loans/apply` with `body`, which must answer 201: the loan.
pub async fn apply(server: &TestServer, token: &str, body: Value) -> Value {
    let (status, answer) = request(server, "POST", "/api/loans/apply", Some(token), Some(body.clone())).await;
    assert_eq!(status, 201, "{body} → {answer}");
    assert_eq!(answer["data"]["status"], "submitted");
    answer["data"].clone()
}

/// The id of a loan.
pub fn id(loan: &Value) -> String {
    loan["id"].as_str().expect("a loan id").to_owned()
}

/// Staff's `POST /api/admin/loans/{id}/decision` with `body`, which must answer 200: the loan.
pub async fn decide(server: &TestServer, staff: &SignedIn, loan_id: &str, body: Value) -> Value {
    let (status, answer) = request(
        server,
        "POST",
        &format!("/api/admin/loans/{loan_id}/decision"),
        Some(&staff.access_token),
        Some(body.clone()),
    )
    .await;
    assert_eq!(status, 200, "{body} → {answer}");
    answer["data"].clone()
}

/// Staff approve `loan_id` at the requested amount and rate: the approved loan.
pub async fn approve(server: &TestServer, staff: &SignedIn, loan_id: &str) -> Value {
    let loan = decide(server, staff, loan_id, json!({"decision": "approve"})).await;
    assert_eq!(loan["status"], "approved");
    loan
}

/// `POST /api/loans/{id}/payments` of `amount`, which must answer 201: `{payment, loan}`.
pub async fn pay(server: &TestServer, token: &str, loan_id: &str, amount: Decimal) -> Value {
    let (status, answer) = request(
        server,
        "POST",
        &format!("/api/loans/{loan_id}/payments"),
        Some(token),
        Some(json!({ "amount": num(amount) })),
    )
    .await;
    assert_eq!(status, 201, "paying {amount} on {loan_id} → {answer}");
    answer["data"].clone()
}

/// `GET /api/loans/{id}`, which must answer 200: the loan.
pub async fn loan(server: &TestServer, token: &str, loan_id: &str) -> Value {
    let (status, answer) = request(server, "GET", &format!("/api/loans/{loan_id}"), Some(token), None).await;
    assert_eq!(status, 200, "{answer}");
    answer["data"].clone()
}

/// `GET /api/credit/history{query}` with `token`: the status and the JSON answer.
pub async fn history(server: &TestServer, token: &str, query: &str) -> (u16, Value) {
    request(server, "GET", &format!("/api/credit/history{query}"), Some(token), None).await
}
