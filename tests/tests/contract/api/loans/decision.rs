//! `POST /api/admin/loans/{id}/decision`: only staff and admins with a user token decide, never
//! their own application; approval as requested or for less at another rate (disbursed at
//! once, with a `loan_disbursed` event), rejection (a `loan_rejected` event), the field
//! rules of each, and 409 for anything no longer `submitted`.

use meridian::types::{LoanDecisionRequest, LoanDecisionRequestDecision, LoanStatus};
use meridian_contract_tests::fixtures::{client_token, failure, set_role};
use serde_json::{Value, json};

use super::support::{
    APPLIED_AT, DECIDED_AT, Env, annuity, application, d, dec, field_of, id_of, num, seed_application, wire_time,
};

#[tokio::test]
async fn only_staff_with_a_user_token_decide_and_never_their_own() {
    let env = Env::start("decide-who").await;
    let id = id_of(&env.apply(&env.applicant, seed_application()).await);
    let approve = json!({"decision": "approve"});

    // The applicant, another user, and a client token of a staff member (every scope) → 403.
    let (status, answer) = env.decide_as(&env.applicant, &id, approve.clone()).await;
    assert_eq!(status, 403, "{answer}");
    let bystander = env.user("decide-bystander").await;
    assert_eq!(env.decide_as(&bystander, &id, approve.clone()).await.0, 403);
    let staff_client = client_token(&env.server, &env.staff).await;
    let (status, answer) = meridian_contract_tests::fixtures::request(
        &env.server,
        "POST",
        &format!("/api/admin/loans/{id}/decision"),
        Some(&staff_client),
        Some(approve.clone()),
    )
    .await;
    assert_eq!(status, 403, "{answer}");
    // Staff deciding their own application → 403, whatever the decision.
    let own = id_of(&env.apply(&env.staff, application("personal", "2000", 12)).await);
    for body in [approve.clone(), json!({"decision": "reject"})] {
        let (status, answer) = env.decide(&own, body).await;
        assert_eq!(status, 403, "{answer}");
    }
    // Unknown ids → 404 (for staff).
    assert_eq!(env.decide("la_unknown", approve.clone()).await.0, 404);
    assert_eq!(env.loan(&env.applicant, &id).await["status"], "submitted");
    assert_eq!(env.loan(&env.staff, &own).await["status"], "submitted");

    // An admin may decide, including the staff member's application.
    let admin = env.user("decide-admin").await;
    set_role(&env.server, &admin.id, "admin").await;
    let (status, answer) = env
        .decide_as(&admin, &own, json!({"decision": "approve", "approved_rate": 9}))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["data"]["status"], "approved");
    // …but not their own either.
    let admins = id_of(&env.apply(&admin, application("business", "20000", 24)).await);
    let (status, answer) = env.decide_as(&admin, &admins, json!({"decision": "reject"})).await;
    assert_eq!(status, 403, "{answer}");
    assert_eq!(env.loan(&admin, &admins).await["status"], "submitted");
    // Staff decide another user's through the typed SDK.
    let body = LoanDecisionRequest {
        approved_amount: None,
        approved_rate: None,
        decision: LoanDecisionRequestDecision::Approve,
        reason: Some("Meets the personal loan criteria".parse().unwrap()),
    };
    let typed = env
        .client(&env.staff)
        .admin_decide_loan(&id.parse().unwrap(), &body)
        .await
        .expect("staff approve")
        .into_inner();
    assert_eq!(typed.data.status, LoanStatus::Approved);
    assert_eq!(typed.data.monthly_payment, Some(d("301.96")));
}

#[tokio::test]
async fn approval_as_requested_disburses_the_loan() {
    let env = Env::start("decide-approve").await;
    let submitted = env.apply(&env.applicant, seed_application()).await;
    let id = id_of(&submitted);
    env.at(DECIDED_AT);
    let (status, answer) = env
        .decide(
            &id,
            json!({"decision": "approve", "reason": "Meets the personal loan criteria"}),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["success"], true);
    assert_eq!(answer["message"], "Loan application approved");
    let loan = &answer["data"];
    assert_eq!(loan["status"], "approved");
    assert_eq!(dec(&loan["approved_amount"]), d("10000"));
    assert_eq!(dec(&loan["approved_rate"]), d("5.5"));
    assert_eq!(loan["term_months"], 36);
    assert_eq!(loan["monthly_payment"].to_string(), "301.96");
    assert_eq!(dec(&loan["outstanding_principal"]), d("10000"));
    assert_eq!(dec(&loan["total_paid"]), d("0"));
    // The spec's example: principal plus the first installment's interest.
    assert_eq!(loan["payoff_amount"].to_string(), "10045.83");
    assert_eq!(loan["next_payment_due"], "2025-01-30", "one month after disbursement");
    assert_eq!(loan["decision_reason"], "Meets the personal loan criteria");
    assert_eq!(loan["decided_at"], wire_time(DECIDED_AT));
    assert_eq!(loan["disbursed_at"], wire_time(DECIDED_AT));
    assert_eq!(loan["cancelled_at"], Value::Null);
    assert_eq!(loan["paid_off_at"], Value::Null);
    // The application part is unchanged.
    for field in [
        "id",
        "user_id",
        "application_number",
        "loan_type",
        "requested_amount",
        "requested_term_months",
        "requested_rate",
        "credit_score_at_application",
        "approval_probability",
        "application_data",
        "estimated_response_time",
    ] {
        assert_eq!(loan[field], submitted[field], "{field}");
    }
    assert_eq!(loan["submitted_at"], wire_time(APPLIED_AT));
    // The applicant sees the same.
    assert_eq!(env.loan(&env.applicant, &id).await, *loan);

    let events = env.events(&env.applicant, &id, "loan_disbursed").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(dec(&events[0]["amount"]), d("10000"));
    assert_eq!(events[0]["impact"], "neutral");
    assert_eq!(events[0]["event_date"], wire_time(DECIDED_AT));
    assert!(env.history(&env.staff).await.is_empty(), "the event is the applicant's");

    // Decided once: a second decision → 409, whatever it says.
    for body in [
        json!({"decision": "approve"}),
        json!({"decision": "reject"}),
        json!({"decision": "approve", "approved_amount": 5000}),
    ] {
        let (status, answer) = env.decide(&id, body.clone()).await;
        assert_eq!(status, 409, "{body}: {answer}");
    }
    assert_eq!(env.loan(&env.applicant, &id).await, *loan);
    assert_eq!(env.events(&env.applicant, &id, "loan_disbursed").await.len(), 1);
}

#[tokio::test]
async fn approval_of_a_smaller_amount_at_another_rate() {
    let env = Env::start("decide-less").await;
    let id = id_of(&env.apply(&env.applicant, seed_application()).await);
    let (status, answer) = env
        .decide(
            &id,
            json!({"decision": "approve", "approved_amount": "8000.00", "approved_rate": num("7.25")}),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let loan = &answer["data"];
    assert_eq!(dec(&loan["approved_amount"]), d("8000"));
    assert_eq!(dec(&loan["approved_rate"]), d("7.25"));
    assert_eq!(dec(&loan["requested_amount"]), d("10000"), "the request is kept");
    assert_eq!(dec(&loan["requested_rate"]), d("5.5"));
    assert_eq!(loan["term_months"], 36, "the requested term");
    let monthly = annuity(d("8000"), d("7.25"), 36);
    assert_eq!(dec(&loan["monthly_payment"]), monthly);
    assert_ne!(monthly, d("301.96"));
    // As the calculator computes it.
    let (_, calc) = env
        .call(
            "POST",
            "/api/loans/calculate",
            &env.applicant,
            Some(json!({"amount": 8000, "rate": num("7.25"), "term_months": 36})),
        )
        .await;
    assert_eq!(calc["data"]["monthly_payment"], loan["monthly_payment"]);
    assert_eq!(dec(&loan["outstanding_principal"]), d("8000"));
    // 8000 × 7.25 / 1200 = 48.333… → 48.33 of interest in the first installment.
    assert_eq!(dec(&loan["payoff_amount"]), d("8048.33"));
    assert_eq!(loan["decision_reason"], Value::Null, "no reason given");
    let events = env.events(&env.applicant, &id, "loan_disbursed").await;
    assert_eq!(dec(&events[0]["amount"]), d("8000"));

    // The edges: the full amount, a rate of 0 and of 36.
    for (amount, rate) in [("10000", "0"), ("0.01", "36")] {
        let id = id_of(&env.apply(&env.applicant, seed_application()).await);
        let (status, answer) = env
            .decide(
                &id,
                json!({"decision": "approve", "approved_amount": num(amount), "approved_rate": num(rate)}),
            )
            .await;
        assert_eq!(status, 200, "{amount} at {rate}: {answer}");
        assert_eq!(dec(&answer["data"]["monthly_payment"]), annuity(d(amount), d(rate), 36));
    }
}

#[tokio::test]
async fn approval_fields_are_checked() {
    let env = Env::start("decide-fields").await;
    let id = id_of(&env.apply(&env.applicant, seed_application()).await);
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"decision": "approve", "approved_amount": num("10000.01")}),
            "approved_amount",
        ),
        (json!({"decision": "approve", "approved_amount": 0}), "approved_amount"),
        (
            json!({"decision": "approve", "approved_amount": -100}),
            "approved_amount",
        ),
        (
            json!({"decision": "approve", "approved_amount": num("5000.001")}),
            "approved_amount",
        ),
        (
            json!({"decision": "approve", "approved_amount": "lots"}),
            "approved_amount",
        ),
        (
            json!({"decision": "approve", "approved_rate": num("36.0001")}),
            "approved_rate",
        ),
        (json!({"decision": "approve", "approved_rate": 37}), "approved_rate"),
        (json!({"decision": "approve", "approved_rate": -1}), "approved_rate"),
        (
            json!({"decision": "approve", "approved_rate": num("5.00001")}),
            "approved_rate",
        ),
        (
            json!({"decision": "reject", "approved_amount": 5000}),
            "approved_amount",
        ),
        (json!({"decision": "reject", "approved_rate": 5}), "approved_rate"),
        (json!({"decision": "maybe"}), "decision"),
        (json!({"reason": "no decision"}), "decision"),
        (json!({"decision": "approve", "term_months": 12}), "term_months"),
        (json!({"decision": "reject", "reason": "x".repeat(501)}), "reason"),
    ];
    for (body, field) in cases {
        let (status, answer) = env.decide(&id, body.clone()).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert_eq!(field_of(&answer), field, "{body}: {answer}");
    }
    assert_eq!(
        env.loan(&env.applicant, &id).await["status"],
        "submitted",
        "still undecided"
    );
    assert!(env.events(&env.applicant, &id, "loan_disbursed").await.is_empty());

    // Without a requested rate, approving needs approved_rate.
    let no_rate = id_of(&env.apply(&env.applicant, application("auto", "15000", 60)).await);
    let (status, answer) = env.decide(&no_rate, json!({"decision": "approve"})).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(field_of(&answer), "approved_rate");
    let (status, answer) = env
        .decide(&no_rate, json!({"decision": "approve", "approved_amount": 12000}))
        .await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(field_of(&answer), "approved_rate");
    assert_eq!(env.loan(&env.applicant, &no_rate).await["status"], "submitted");
    let (status, answer) = env
        .decide(&no_rate, json!({"decision": "approve", "approved_rate": num("6.9")}))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(dec(&answer["data"]["approved_rate"]), d("6.9"));
    assert_eq!(answer["data"]["requested_rate"], Value::Null);
    assert_eq!(
        dec(&answer["data"]["monthly_payment"]),
        annuity(d("15000"), d("6.9"), 60)
    );
}

#[tokio::test]
async fn rejection_records_a_loan_rejected_event() {
    let env = Env::start("decide-reject").await;
    let submitted = env.apply(&env.applicant, seed_application()).await;
    let id = id_of(&submitted);
    env.at("2024-12-31T11:00:00Z");
    let typed = env
        .client(&env.staff)
        .admin_decide_loan(
            &id.parse().unwrap(),
            &LoanDecisionRequest {
                approved_amount: None,
                approved_rate: None,
                decision: LoanDecisionRequestDecision::Reject,
                reason: Some("Debt-to-income ratio above policy".parse().unwrap()),
            },
        )
        .await
        .expect("rejected")
        .into_inner();
    assert_eq!(typed.message, "Loan application rejected");
    assert_eq!(typed.data.status, LoanStatus::Rejected);
    let loan = env.loan(&env.applicant, &id).await;
    assert_eq!(loan["status"], "rejected");
    assert_eq!(loan["decision_reason"], "Debt-to-income ratio above policy");
    assert_eq!(loan["decided_at"], wire_time("2024-12-31T11:00:00Z"));
    for field in [
        "approved_amount",
        "approved_rate",
        "term_months",
        "monthly_payment",
        "outstanding_principal",
        "total_paid",
        "payoff_amount",
        "next_payment_due",
        "disbursed_at",
        "cancelled_at",
        "paid_off_at",
    ] {
        assert_eq!(loan[field], Value::Null, "{field}");
    }
    let events = env.events(&env.applicant, &id, "loan_rejected").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["impact"], "neutral");
    assert_eq!(events[0].get("amount"), None);
    assert!(env.events(&env.applicant, &id, "loan_disbursed").await.is_empty());

    // Final: no second decision.
    let (status, _) = env.decide(&id, json!({"decision": "approve"})).await;
    assert_eq!(status, 409);
    let (status, _) = env.decide(&id, json!({"decision": "reject"})).await;
    assert_eq!(status, 409);
    assert_eq!(env.events(&env.applicant, &id, "loan_rejected").await.len(), 1);
}

#[tokio::test]
async fn a_cancelled_application_cannot_be_decided() {
    let env = Env::start("decide-cancelled").await;
    let id = id_of(&env.apply(&env.applicant, seed_application()).await);
    let (status, _) = env
        .call("POST", &format!("/api/loans/{id}/cancel"), &env.applicant, None)
        .await;
    assert_eq!(status, 200);
    for body in [json!({"decision": "approve"}), json!({"decision": "reject"})] {
        let (status, answer) = env.decide(&id, body).await;
        assert_eq!(status, 409, "{answer}");
    }
    let loan = env.loan(&env.applicant, &id).await;
    assert_eq!(loan["status"], "cancelled");
    assert_eq!(loan["decided_at"], Value::Null);
    let typed = env
        .client(&env.staff)
        .admin_decide_loan(
            &id.parse().unwrap(),
            &LoanDecisionRequest {
                approved_amount: None,
                approved_rate: None,
                decision: LoanDecisionRequestDecision::Reject,
                reason: None,
            },
        )
        .await;
    assert_eq!(failure(typed).0, 409);
}
