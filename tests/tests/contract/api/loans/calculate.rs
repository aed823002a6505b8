//! `POST /api/loans/calculate`: seed 003's figures to the exact digit, the defaults (1000,
//! 5.0 %, 36 months) for absent fields and an absent body, rate 0, the input limits (each
//! refusal a 400 naming its field), and the caller's credit score and approval estimate,
//! `null` until a score exists.

use meridian_contract_tests::TestServer;
use meridian_server::ratelimit::RateLimitMode;
use serde_json::{Value, json};

use super::support::{Env, annuity, assert_probability, d, dec, field_of, num};

/// The calculator's `data` for `body` (`None`: no body at all), which must be a 200.
async fn calculate(env: &Env, body: Option<Value>) -> Value {
    let (status, answer) = env
        .call("POST", "/api/loans/calculate", &env.applicant, body.clone())
        .await;
    assert_eq!(status, 200, "{body:?} → {answer}");
    assert_eq!(answer["success"], true);
    answer["data"].clone()
}

/// `(monthly_payment, total_payment, total_interest)` as the exact text of the JSON numbers.
fn figures(data: &Value) -> (String, String, String) {
    (
        data["monthly_payment"].to_string(),
        data["total_payment"].to_string(),
        data["total_interest"].to_string(),
    )
}

fn texts(a: &str, b: &str, c: &str) -> (String, String, String) {
    (a.to_owned(), b.to_owned(), c.to_owned())
}

#[tokio::test]
async fn the_seed_example_to_the_exact_digit() {
    let env = Env::start("calc-seed").await;
    let data = calculate(
        &env,
        Some(json!({"amount": 10000, "rate": num("5.5"), "term_months": 36})),
    )
    .await;
    assert_eq!(figures(&data), texts("301.96", "10870.56", "870.56"));
    assert_eq!(dec(&data["loan_amount"]), d("10000"));
    assert_eq!(dec(&data["interest_rate"]), d("5.5"));
    assert_eq!(data["term_months"], 36);
    // Decimal strings are read exactly like numbers.
    let same = calculate(
        &env,
        Some(json!({"amount": "10000.00", "rate": "5.5", "term_months": 36})),
    )
    .await;
    assert_eq!(same, data);
}

#[tokio::test]
async fn absent_fields_and_an_absent_body_take_the_defaults() {
    let env = Env::start("calc-defaults").await;
    // The spec's `no_score` example: 1000 at 5.0 % over 36 months.
    let expected = texts("29.97", "1078.92", "78.92");
    for body in [None, Some(json!({}))] {
        let data = calculate(&env, body.clone()).await;
        assert_eq!(figures(&data), expected, "{body:?}");
        assert_eq!(
            (
                dec(&data["loan_amount"]),
                dec(&data["interest_rate"]),
                data["term_months"].clone()
            ),
            (d("1000"), d("5"), json!(36)),
            "{body:?}"
        );
    }
    // Each field alone; the others keep their defaults.
    let data = calculate(&env, Some(json!({"amount": 5000}))).await;
    assert_eq!(
        (dec(&data["interest_rate"]), data["term_months"].clone()),
        (d("5"), json!(36))
    );
    assert_eq!(dec(&data["monthly_payment"]), annuity(d("5000"), d("5"), 36));
    let data = calculate(&env, Some(json!({"rate": 12}))).await;
    assert_eq!(
        (dec(&data["loan_amount"]), data["term_months"].clone()),
        (d("1000"), json!(36))
    );
    assert_eq!(dec(&data["monthly_payment"]), annuity(d("1000"), d("12"), 36));
    let data = calculate(&env, Some(json!({"term_months": 12}))).await;
    assert_eq!(
        (dec(&data["loan_amount"]), dec(&data["interest_rate"])),
        (d("1000"), d("5"))
    );
    assert_eq!(dec(&data["monthly_payment"]), annuity(d("1000"), d("5"), 12));
}

#[tokio::test]
async fn the_figures_follow_the_annuity_formula() {
    let env = Env::start("calc-formula").await;
    // Rate 0: amount / term, half-up to cents; totals from the rounded payment.
    let data = calculate(&env, Some(json!({"amount": 1000, "rate": 0, "term_months": 36}))).await;
    assert_eq!(figures(&data), texts("27.78", "1000.08", "0.08"));
    let data = calculate(&env, Some(json!({"amount": 1200, "rate": 0, "term_months": 12}))).await;
    assert_eq!(
        (
            dec(&data["monthly_payment"]),
            dec(&data["total_payment"]),
            dec(&data["total_interest"])
        ),
        (d("100"), d("1200"), d("0"))
    );
    // A spread of inputs, including the limits, against an independent computation.
    for (amount, rate, term) in [
        ("0.01", "5", 1),
        ("8000", "7.25", 36),
        ("250000", "3.875", 360),
        ("10000000", "100", 480),
        ("10000000", "0.0001", 480),
        ("1234.56", "19.99", 7),
        ("50000", "36", 84),
    ] {
        let data = calculate(
            &env,
            Some(json!({"amount": num(amount), "rate": num(rate), "term_months": term})),
        )
        .await;
        let monthly = annuity(d(amount), d(rate), term);
        let total = monthly * rust_decimal::Decimal::from(term);
        assert_eq!(dec(&data["monthly_payment"]), monthly, "{amount} at {rate} over {term}");
        assert_eq!(dec(&data["total_payment"]), total, "{amount} at {rate} over {term}");
        assert_eq!(
            dec(&data["total_interest"]),
            total - d(amount),
            "{amount} at {rate} over {term}"
        );
        assert_eq!(dec(&data["loan_amount"]), d(amount));
        assert_eq!(dec(&data["interest_rate"]), d(rate));
        assert_eq!(data["term_months"], term);
    }
}

#[tokio::test]
async fn inputs_out_of_range_or_not_numbers_are_400_naming_the_field() {
    let env = Env::start("calc-limits").await;
    let cases: Vec<(Value, &str)> = vec![
        (json!({"amount": 0}), "amount"),
        (json!({"amount": -1}), "amount"),
        (json!({"amount": 10000001}), "amount"),
        (json!({"amount": num("10000000.01")}), "amount"),
        (json!({"amount": num("100.001")}), "amount"),
        (json!({"amount": "100.001"}), "amount"),
        (json!({"amount": "abc"}), "amount"),
        (json!({"amount": true}), "amount"),
        (json!({"amount": null}), "amount"),
        (json!({"rate": -1}), "rate"),
        (json!({"rate": 101}), "rate"),
        (json!({"rate": num("100.0001")}), "rate"),
        (json!({"rate": num("5.12345")}), "rate"),
        (json!({"rate": "abc"}), "rate"),
        (json!({"rate": true}), "rate"),
        (json!({"term_months": 0}), "term_months"),
        (json!({"term_months": 481}), "term_months"),
        (json!({"term_months": -12}), "term_months"),
        (json!({"term_months": num("36.5")}), "term_months"),
        (json!({"term_months": "abc"}), "term_months"),
        (json!({"term_months": true}), "term_months"),
        (json!({"amount": 1000, "principal": 1000}), "principal"),
    ];
    for (body, field) in cases {
        let (status, answer) = env
            .call("POST", "/api/loans/calculate", &env.applicant, Some(body.clone()))
            .await;
        assert_eq!(status, 400, "{body} → {answer}");
        assert_eq!(answer["success"], false, "{body}");
        assert_eq!(field_of(&answer), field, "{body} → {answer}");
    }
    // The limits themselves are accepted.
    for body in [
        json!({"amount": num("0.01")}),
        json!({"amount": 10000000}),
        json!({"rate": 0}),
        json!({"rate": 100}),
        json!({"rate": num("5.1234")}),
        json!({"term_months": 1}),
        json!({"term_months": 480}),
    ] {
        calculate(&env, Some(body)).await;
    }
}

#[tokio::test]
async fn score_and_approval_estimate_are_null_until_the_caller_has_a_score() {
    let env = Env::start("calc-score").await;
    let body = json!({"amount": 10000, "rate": num("5.5"), "term_months": 36});
    let data = calculate(&env, Some(body.clone())).await;
    assert_eq!(data["credit_score"], Value::Null);
    assert_eq!(data["approval_probability"], Value::Null);
    // Nothing was calculated for the caller by asking.
    let (status, _) = env.call("GET", "/api/credit/score", &env.applicant, None).await;
    assert_eq!(status, 404);

    let (status, scored) = env
        .call("POST", "/api/credit/calculate-score", &env.applicant, Some(json!({})))
        .await;
    assert_eq!(status, 200, "{scored}");
    let score = scored["data"]["score"].as_i64().expect("a score");
    let data = calculate(&env, Some(body)).await;
    assert_eq!(data["credit_score"], score);
    assert_probability(&data["approval_probability"]);
    assert_eq!(figures(&data), texts("301.96", "10870.56", "870.56"));
    // The estimate depends on the amount and the term, never above 100 nor below 0.
    for (amount, term) in [("0.01", 1), ("10000000", 480), ("500000", 120)] {
        let data = calculate(&env, Some(json!({"amount": num(amount), "term_months": term}))).await;
        assert_eq!(data["credit_score"], score);
        assert_probability(&data["approval_probability"]);
    }
    // Another user still has none.
    let other = env.user("calc-score-other").await;
    let (status, answer) = env.call("POST", "/api/loans/calculate", &other, None).await;
    assert_eq!(status, 200);
    assert_eq!(answer["data"]["credit_score"], Value::Null);
}

#[tokio::test]
async fn the_calculator_allows_100_requests_an_hour() {
    let server = TestServer::builder()
        .rate_limits(RateLimitMode::Scaled(1))
        .start()
        .await;
    let env = Env::on(server, "calc-budget").await;
    for n in 0..100 {
        let (status, answer) = env.call("POST", "/api/loans/calculate", &env.applicant, None).await;
        assert_eq!(status, 200, "request {n}: {answer}");
    }
    let (status, answer) = env.call("POST", "/api/loans/calculate", &env.applicant, None).await;
    assert_eq!(status, 429, "{answer}");
    assert_eq!(answer["error"], "Rate Limit Exceeded");
    // Its own budget: the applicant still reads their loans.
    let (status, _) = env.call("GET", "/api/loans", &env.applicant, None).await;
    assert_eq!(status, 200);
}
