//! `POST /api/loans/apply`: the seed body's 201 with every documented field, the per-type
//! amount and term limits (edges inclusive), the rate range, unknown types and fields, the
//! credit score calculated (or reused) at application and the `credit_inquiry` event it
//! records, `Idempotency-Key` retries, and seed 003's budget of 3 applications an hour.

use meridian::types::{ApplyForLoanIdempotencyKey, LoanApplicationRequest, LoanStatus};
use meridian_contract_tests::TestServer;
use meridian_contract_tests::fixtures::failure;
use meridian_server::ratelimit::RateLimitMode;
use serde_json::{Value, json};

use super::support::{
    APPLIED_AT, Env, application, assert_probability, d, dec, field_of, id_of, num, seed_application, wire_time,
};

/// The application-number shape for a submission in `year`.
fn assert_number(loan: &Value, year: &str) {
    let number = loan["application_number"].as_str().expect("application_number");
    let digits: Vec<&str> = number.split('-').collect();
    assert_eq!(digits.len(), 3, "{number}");
    assert_eq!(digits[0], "LA", "{number}");
    assert_eq!(digits[1], year, "{number}: the year of submission");
    assert!(
        digits[2].len() == 6 && digits[2].bytes().all(|b| b.is_ascii_digit()),
        "{number}"
    );
}

#[tokio::test]
async fn the_seed_application_is_submitted_with_every_documented_field() {
    let env = Env::start("apply-seed").await;
    let user = &env.applicant;
    // No score yet: applying calculates one.
    let (status, _) = env.call("GET", "/api/credit/score", user, None).await;
    assert_eq!(status, 404);

    let (status, answer) = env.try_apply(user, seed_application()).await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["success"], true);
    assert_eq!(answer["message"], "Loan application submitted successfully");
    let loan = &answer["data"];
    let id = id_of(loan);
    assert!(id.starts_with("la_"), "{id}");
    assert_eq!(loan["user_id"], user.id.as_str());
    assert_number(loan, "2024");
    assert_eq!(loan["status"], "submitted");
    assert_eq!(loan["loan_type"], "personal");
    assert_eq!(dec(&loan["requested_amount"]), d("10000"));
    assert_eq!(loan["requested_term_months"], 36);
    assert_eq!(dec(&loan["requested_rate"]), d("5.5"));
    assert_eq!(loan["submitted_at"], wire_time(APPLIED_AT));
    assert_eq!(loan["estimated_response_time"], "24-48 hours");
    assert_eq!(
        loan["application_data"],
        json!({"purpose": "Debt consolidation", "employment_status": "employed"})
    );
    assert_probability(&loan["approval_probability"]);
    let score = loan["credit_score_at_application"].as_i64().expect("a score");
    assert!((300..=850).contains(&score), "{score}");
    // Lifecycle fields are sent, null while undecided.
    for field in [
        "approved_amount",
        "approved_rate",
        "term_months",
        "monthly_payment",
        "outstanding_principal",
        "total_paid",
        "payoff_amount",
        "next_payment_due",
        "decision_reason",
        "decided_at",
        "disbursed_at",
        "cancelled_at",
        "paid_off_at",
    ] {
        assert_eq!(loan.get(field), Some(&Value::Null), "{field} in {loan}");
    }

    // The score used is the one now stored, calculated at submission.
    let (status, stored) = env.call("GET", "/api/credit/score", user, None).await;
    assert_eq!(status, 200, "{stored}");
    assert_eq!(stored["data"]["score"], score);
    assert_eq!(stored["data"]["calculated_at"], wire_time(APPLIED_AT));
    // The estimate is the calculator's for that score, amount and term.
    let (_, calc) = env
        .call(
            "POST",
            "/api/loans/calculate",
            user,
            Some(json!({"amount": 10000, "rate": num("5.5"), "term_months": 36})),
        )
        .await;
    assert_eq!(calc["data"]["credit_score"], score);
    assert_eq!(calc["data"]["approval_probability"], loan["approval_probability"]);

    // A `credit_inquiry` event for this application.
    let inquiries = env.events(user, &id, "credit_inquiry").await;
    assert_eq!(inquiries.len(), 1, "{inquiries:?}");
    assert_eq!(inquiries[0]["impact"], "neutral");
    assert_eq!(inquiries[0]["event_date"], wire_time(APPLIED_AT));
    assert_eq!(inquiries[0].get("amount"), None, "no amount on an inquiry");

    // GET answers the same loan.
    assert_eq!(env.loan(user, &id).await, *loan);
    // The typed SDK reads it too.
    let typed = env
        .client(user)
        .get_loan(&id.parse().unwrap())
        .await
        .expect("typed get")
        .into_inner()
        .data;
    assert_eq!(typed.status, LoanStatus::Submitted);
    assert_eq!(typed.requested_amount, d("10000"));
}

#[tokio::test]
async fn the_application_number_carries_the_year_of_submission() {
    let env = Env::start("apply-year").await;
    let first = env.apply(&env.applicant, application("personal", "1000", 12)).await;
    assert_number(&first, "2024");
    env.at("2025-01-02T08:00:00Z");
    let second = env.apply(&env.applicant, application("personal", "1000", 12)).await;
    assert_number(&second, "2025");
    assert_eq!(second["submitted_at"], "2025-01-02T08:00:00.000Z");
    assert_ne!(first["application_number"], second["application_number"]);
    let third = env.apply(&env.applicant, application("personal", "1000", 12)).await;
    assert_number(&third, "2025");
    assert_ne!(second["application_number"], third["application_number"]);
}

#[tokio::test]
async fn amounts_and_terms_must_fit_the_loan_type() {
    let env = Env::start("apply-limits").await;
    let user = &env.applicant;
    // (type, lowest amount, highest amount, shortest term, longest term)
    let limits = [
        ("personal", "1000", "50000", 6, 84),
        ("mortgage", "50000", "1000000", 60, 360),
        ("auto", "5000", "100000", 12, 96),
        ("business", "10000", "500000", 6, 120),
    ];
    let mut accepted = Vec::new();
    for (kind, low, high, short, long) in limits {
        // The edges are inclusive.
        for (amount, term) in [(low, short), (high, long)] {
            let loan = env.apply(user, application(kind, amount, term)).await;
            assert_eq!(loan["loan_type"], kind);
            assert_eq!(dec(&loan["requested_amount"]), d(amount));
            assert_eq!(loan["requested_term_months"], term);
            assert_eq!(loan["requested_rate"], Value::Null);
            assert_eq!(loan["application_data"], Value::Null);
            accepted.push(id_of(&loan));
        }
        // One cent or one month outside → 400 naming the field.
        let below = (d(low) - d("0.01")).to_string();
        let above = (d(high) + d("0.01")).to_string();
        for (amount, term, field) in [
            (below.as_str(), short, "requested_amount"),
            (above.as_str(), long, "requested_amount"),
            (low, short - 1, "requested_term_months"),
            (high, long + 1, "requested_term_months"),
        ] {
            let body = application(kind, amount, term);
            let (status, answer) = env.try_apply(user, body.clone()).await;
            assert_eq!(status, 400, "{body} → {answer}");
            assert_eq!(field_of(&answer), field, "{body} → {answer}");
        }
    }
    let listed = env.call("GET", "/api/loans?per_page=100", user, None).await.1;
    assert_eq!(listed["data"]["pagination"]["total"], accepted.len());
}

#[tokio::test]
async fn rates_fields_and_types_are_checked() {
    let env = Env::start("apply-fields").await;
    let user = &env.applicant;
    let with = |extra: Value| {
        let mut body = application("personal", "5000", 24);
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body
    };
    // Rates from 0 to 36 with up to 4 decimals, as numbers or strings.
    for rate in [num("0"), num("36"), num("7.1234"), json!("12.5")] {
        let loan = env.apply(user, with(json!({"requested_rate": rate.clone()}))).await;
        assert_eq!(dec(&loan["requested_rate"]), d(&rate.to_string().replace('"', "")));
    }
    let refused: Vec<(Value, &str)> = vec![
        (with(json!({"requested_rate": num("36.0001")})), "requested_rate"),
        (with(json!({"requested_rate": -1})), "requested_rate"),
        (with(json!({"requested_rate": num("5.12345")})), "requested_rate"),
        (with(json!({"requested_rate": "abc"})), "requested_rate"),
        (with(json!({"requested_amount": num("5000.001")})), "requested_amount"),
        (with(json!({"requested_amount": "five thousand"})), "requested_amount"),
        (
            with(json!({"requested_term_months": num("24.5")})),
            "requested_term_months",
        ),
        (with(json!({"loan_type": "student"})), "loan_type"),
        (with(json!({"loan_type": "Personal"})), "loan_type"),
        (with(json!({"collateral": "house"})), "collateral"),
        (
            json!({"requested_amount": 5000, "requested_term_months": 24}),
            "loan_type",
        ),
        (
            json!({"loan_type": "personal", "requested_term_months": 24}),
            "requested_amount",
        ),
        (
            json!({"loan_type": "personal", "requested_amount": 5000}),
            "requested_term_months",
        ),
        (with(json!({"application_data": "a string"})), "application_data"),
    ];
    for (body, field) in refused {
        let (status, answer) = env.try_apply(user, body.clone()).await;
        assert_eq!(status, 400, "{body} → {answer}");
        assert!(
            field_of(&answer).starts_with(field),
            "{body}: expected {field}, got {answer}"
        );
    }
    // application_data: at most 50 top-level properties, anything inside them.
    let data = |n: usize| {
        let map: serde_json::Map<String, Value> = (0..n).map(|i| (format!("k{i}"), json!({"nested": [i]}))).collect();
        Value::Object(map)
    };
    let loan = env.apply(user, with(json!({"application_data": data(50)}))).await;
    assert_eq!(loan["application_data"], data(50));
    let (status, answer) = env.try_apply(user, with(json!({"application_data": data(51)}))).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(field_of(&answer), "application_data");

    // Only the accepted ones exist, each with its own inquiry.
    let listed = env.call("GET", "/api/loans", user, None).await.1;
    assert_eq!(listed["data"]["pagination"]["total"], 5);
    let inquiries = env
        .history(user)
        .await
        .into_iter()
        .filter(|e| e["event_type"] == "credit_inquiry")
        .count();
    assert_eq!(inquiries, 5);
}

#[tokio::test]
async fn a_score_older_than_a_day_is_recalculated_a_younger_one_reused() {
    let env = Env::start("apply-score").await;
    let user = &env.applicant;
    env.at("2024-12-28T10:00:00Z");
    let (status, scored) = env
        .call("POST", "/api/credit/calculate-score", user, Some(json!({})))
        .await;
    assert_eq!(status, 200, "{scored}");
    let first_id = scored["data"]["credit_score_id"].clone();

    // 23 hours later: reused.
    env.at("2024-12-29T09:00:00Z");
    let loan = env.apply(user, application("personal", "2000", 12)).await;
    assert_eq!(loan["credit_score_at_application"], scored["data"]["score"]);
    let (_, stored) = env.call("GET", "/api/credit/score", user, None).await;
    assert_eq!(
        stored["data"]["credit_score_id"], first_id,
        "the young score was reused"
    );

    // More than 24 hours after it: a new one, calculated at submission.
    env.at(APPLIED_AT);
    let loan = env.apply(user, application("personal", "2000", 12)).await;
    let (_, stored) = env.call("GET", "/api/credit/score", user, None).await;
    assert_ne!(stored["data"]["credit_score_id"], first_id, "a new score");
    assert_eq!(stored["data"]["calculated_at"], wire_time(APPLIED_AT));
    assert_eq!(loan["credit_score_at_application"], stored["data"]["score"]);
}

#[tokio::test]
async fn a_retry_with_the_same_idempotency_key_submits_once() {
    let env = Env::start("apply-idem").await;
    let user = &env.applicant;
    let token = user.access_token.as_str();
    let body = seed_application();
    let (status, first) = env.post_with_key("/api/loans/apply", token, "apply-1", &body).await;
    assert_eq!(status, 201, "{first}");
    // Retried later (another clock reading): the very same body.
    env.at("2024-12-30T15:45:00Z");
    let (status, again) = env.post_with_key("/api/loans/apply", token, "apply-1", &body).await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(again, first);
    // Through the typed SDK as well.
    let key: ApplyForLoanIdempotencyKey = "apply-1".parse().unwrap();
    let typed_body: LoanApplicationRequest = serde_json::from_value(body.clone()).unwrap();
    let typed = env
        .client(user)
        .apply_for_loan(Some(&key), &typed_body)
        .await
        .expect("replayed")
        .into_inner();
    assert_eq!(typed.data.id.as_str(), first["data"]["id"].as_str().unwrap());
    assert_eq!(
        typed.data.application_number.as_str(),
        first["data"]["application_number"].as_str().unwrap()
    );

    let listed = env.call("GET", "/api/loans", user, None).await.1;
    assert_eq!(listed["data"]["pagination"]["total"], 1, "one loan");
    let inquiries = env
        .history(user)
        .await
        .into_iter()
        .filter(|e| e["event_type"] == "credit_inquiry")
        .count();
    assert_eq!(inquiries, 1, "one inquiry");
    // The same request written otherwise (key order, trailing zeros, a string) is a retry.
    let rewritten = json!({
        "application_data": {"employment_status": "employed", "purpose": "Debt consolidation"},
        "requested_rate": "5.50",
        "requested_term_months": 36,
        "requested_amount": 10000,
        "loan_type": "personal"
    });
    let (status, again) = env
        .post_with_key("/api/loans/apply", token, "apply-1", &rewritten)
        .await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(again, first);

    // The same key with another body → 409, nothing submitted.
    let mut changed = body.clone();
    changed["requested_amount"] = num("10000.01");
    let (status, answer) = env.post_with_key("/api/loans/apply", token, "apply-1", &changed).await;
    assert_eq!(status, 409, "{answer}");
    assert_eq!(answer["success"], false);
    let mut changed = body.clone();
    changed["application_data"]["purpose"] = json!("Holiday");
    let (status, _) = env.post_with_key("/api/loans/apply", token, "apply-1", &changed).await;
    assert_eq!(status, 409);
    let typed_changed: LoanApplicationRequest = serde_json::from_value(application("auto", "10000", 36)).unwrap();
    let (status, _) = failure(env.client(user).apply_for_loan(Some(&key), &typed_changed).await);
    assert_eq!(status, 409);
    let listed = env.call("GET", "/api/loans", user, None).await.1;
    assert_eq!(listed["data"]["pagination"]["total"], 1);

    // Without a key the same body is a new application; keys are per user.
    let fresh = env.apply(user, body.clone()).await;
    assert_ne!(fresh["id"], first["data"]["id"]);
    let other = env.user("apply-idem-other").await;
    let (status, theirs) = env
        .post_with_key("/api/loans/apply", &other.access_token, "apply-1", &body)
        .await;
    assert_eq!(status, 201, "{theirs}");
    assert_ne!(theirs["data"]["id"], first["data"]["id"]);
    assert_eq!(theirs["data"]["user_id"], other.id.as_str());

    // A malformed key is a 400.
    for bad in ["has space", &"k".repeat(129)] {
        let (status, answer) = env.post_with_key("/api/loans/apply", token, bad, &body).await;
        assert_eq!(status, 400, "{bad}: {answer}");
    }
    let listed = env.call("GET", "/api/loans", user, None).await.1;
    assert_eq!(listed["data"]["pagination"]["total"], 2);
}

#[tokio::test]
async fn a_fourth_application_within_the_hour_is_429() {
    let server = TestServer::builder()
        .rate_limits(RateLimitMode::Scaled(1))
        .start()
        .await;
    let env = Env::on(server, "apply-budget").await;
    let user = &env.applicant;
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let response = env
            .server
            .http()
            .post(format!("{}/api/loans/apply", env.server.url))
            .bearer_auth(&user.access_token)
            .json(&application("personal", "1500", 12))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 201);
        assert_eq!(response.headers()["x-ratelimit-limit"], "3");
        remaining.push(response.headers()["x-ratelimit-remaining"].to_str().unwrap().to_owned());
    }
    assert_eq!(remaining, ["2", "1", "0"]);
    let (status, answer) = env.try_apply(user, application("personal", "1500", 12)).await;
    assert_eq!(status, 429, "{answer}");
    assert_eq!(answer["error"], "Rate Limit Exceeded");
    let listed = env.call("GET", "/api/loans", user, None).await.1;
    assert_eq!(
        listed["data"]["pagination"]["total"], 3,
        "the refused one was not submitted"
    );
    // Another user has a budget of their own.
    let other = env.user("apply-budget-other").await;
    let loan = env.apply(&other, application("personal", "1500", 12)).await;
    assert_eq!(loan["status"], "submitted");
}

#[tokio::test]
async fn a_retry_may_order_nested_application_data_differently() {
    // Top-level keys may come in any order (asserted above); so may the keys of an object
    // inside `application_data`: the same JSON body is the same request.
    let env = Env::start("apply-idem-nested").await;
    let token = env.applicant.access_token.as_str();
    let body = json!({
        "loan_type": "personal",
        "requested_amount": 5000,
        "requested_term_months": 24,
        "application_data": {"employer": {"name": "Acme", "since": 2019}}
    });
    let (status, first) = env.post_with_key("/api/loans/apply", token, "nested", &body).await;
    assert_eq!(status, 201, "{first}");
    let reordered = json!({
        "loan_type": "personal",
        "requested_amount": 5000,
        "requested_term_months": 24,
        "application_data": {"employer": {"since": 2019, "name": "Acme"}}
    });
    assert_eq!(
        serde_json::from_value::<Value>(reordered.clone()).unwrap(),
        body,
        "the same JSON value"
    );
    let (status, again) = env.post_with_key("/api/loans/apply", token, "nested", &reordered).await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(again, first);
}
