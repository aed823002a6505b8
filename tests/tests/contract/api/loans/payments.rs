//! `POST /api/loans/{id}/payments`: the spec's first payment to the cent, partial payments,
//! on-time versus late (a positive or negative `loan_payment` event), the payoff amount as
//! the upper bound, the closing payment (`paid_off`, a `loan_paid_off` event), refused
//! amounts that record nothing, 409 for loans not being repaid, 404 for others', and
//! `Idempotency-Key` retries.

use meridian::types::{LoanPaymentRequest, LoanStatus, MakeLoanPaymentIdempotencyKey};
use meridian_contract_tests::fixtures::failure;
use serde_json::{Value, json};

use super::support::{DECIDED_AT, Env, FIRST_PAID_AT, d, dec, field_of, id_of, num, seed_application, wire_time};

#[tokio::test]
async fn the_spec_example_first_payment() {
    let env = Env::start("pay-spec").await;
    let user = &env.applicant;
    let id = env.spec_loan().await;
    let approved = env.loan(user, &id).await;
    assert_eq!(approved["payoff_amount"].to_string(), "10045.83");

    env.at(FIRST_PAID_AT);
    let (status, answer) = env.pay(user, &id, "301.96").await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["success"], true);
    assert_eq!(answer["message"], "Payment recorded");
    let payment = &answer["data"]["payment"];
    assert!(payment["id"].as_str().unwrap().starts_with("lp_"), "{payment}");
    assert_eq!(payment["loan_id"], id.as_str());
    assert_eq!(payment["amount"].to_string(), "301.96");
    assert_eq!(payment["principal_portion"].to_string(), "256.13");
    assert_eq!(payment["interest_portion"].to_string(), "45.83");
    assert_eq!(payment["paid_at"], wire_time(FIRST_PAID_AT));
    assert_eq!(payment["on_time"], true);
    let loan = &answer["data"]["loan"];
    assert_eq!(loan["status"], "active");
    assert_eq!(loan["outstanding_principal"].to_string(), "9743.87");
    assert_eq!(loan["total_paid"].to_string(), "301.96");
    assert_eq!(loan["payoff_amount"].to_string(), "9788.53");
    assert_eq!(loan["next_payment_due"], "2025-02-28");
    assert_eq!(loan["paid_off_at"], Value::Null);
    assert_eq!(loan["monthly_payment"].to_string(), "301.96");
    assert_eq!(loan["decided_at"], wire_time(DECIDED_AT));
    assert_eq!(env.loan(user, &id).await, *loan);

    let events = env.events(user, &id, "loan_payment").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["impact"], "positive");
    assert_eq!(dec(&events[0]["amount"]), d("301.96"));
    assert_eq!(events[0]["event_date"], wire_time(FIRST_PAID_AT));
}

#[tokio::test]
async fn partial_payments_pay_interest_first() {
    let env = Env::start("pay-partial").await;
    let user = &env.applicant;
    let id = env.spec_loan().await;
    env.at("2025-01-10T12:00:00Z");
    let first = env.paid(user, &id, "20").await;
    assert_eq!(dec(&first["payment"]["interest_portion"]), d("20"));
    assert_eq!(dec(&first["payment"]["principal_portion"]), d("0"));
    assert_eq!(first["loan"]["status"], "active", "any first payment activates");
    assert_eq!(dec(&first["loan"]["outstanding_principal"]), d("10000"));
    assert_eq!(first["loan"]["next_payment_due"], "2025-01-30");
    assert_eq!(dec(&first["loan"]["payoff_amount"]), d("10025.83"));

    let second = env.paid(user, &id, "80").await;
    assert_eq!(dec(&second["payment"]["interest_portion"]), d("25.83"));
    assert_eq!(dec(&second["payment"]["principal_portion"]), d("54.17"));
    assert_eq!(dec(&second["loan"]["outstanding_principal"]), d("9945.83"));
    assert_eq!(dec(&second["loan"]["payoff_amount"]), d("9945.83"));
    assert_eq!(dec(&second["loan"]["total_paid"]), d("100"));
    assert_eq!(second["loan"]["next_payment_due"], "2025-01-30", "not fully paid");

    // The rest of the installment: the spec's state after its first payment.
    let third = env.paid(user, &id, "201.96").await;
    assert_eq!(dec(&third["payment"]["interest_portion"]), d("0"));
    assert_eq!(dec(&third["payment"]["principal_portion"]), d("201.96"));
    let loan = &third["loan"];
    assert_eq!(dec(&loan["outstanding_principal"]), d("9743.87"));
    assert_eq!(dec(&loan["payoff_amount"]), d("9788.53"));
    assert_eq!(loan["next_payment_due"], "2025-02-28");
    assert_eq!(dec(&loan["total_paid"]), d("301.96"));
    let events = env.events(user, &id, "loan_payment").await;
    assert_eq!(events.len(), 3);
    assert!(events.iter().all(|e| e["impact"] == "positive"));
    // Decimal strings are accepted too.
    let (status, answer) = env
        .call(
            "POST",
            &format!("/api/loans/{id}/payments"),
            user,
            Some(json!({"amount": "1.50"})),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["data"]["payment"]["amount"].to_string(), "1.5");
}

#[tokio::test]
async fn late_payments_are_recorded_as_negative_events() {
    let env = Env::start("pay-late").await;
    let user = &env.applicant;
    let id = env.spec_loan().await;
    // The last second of the due date (UTC) is on time.
    env.at("2025-01-30T23:59:59Z");
    let on_time = env.paid(user, &id, "301.96").await;
    assert_eq!(on_time["payment"]["on_time"], true);
    // Past the second due date: late, and it settles the overdue installment.
    env.at("2025-03-01T00:00:00Z");
    let late = env.paid(user, &id, "301.96").await;
    assert_eq!(late["payment"]["on_time"], false);
    assert_eq!(dec(&late["payment"]["interest_portion"]), d("44.66"));
    assert_eq!(dec(&late["payment"]["principal_portion"]), d("257.30"));
    assert_eq!(late["loan"]["next_payment_due"], "2025-03-30");
    assert_eq!(late["loan"]["status"], "active");
    let events = env.events(user, &id, "loan_payment").await;
    let impacts: Vec<&str> = events.iter().map(|e| e["impact"].as_str().unwrap()).collect();
    assert_eq!(impacts, ["negative", "positive"], "newest first");
    assert_eq!(events[0]["event_date"], wire_time("2025-03-01T00:00:00Z"));
    // Back on schedule: on time again.
    env.at("2025-03-30T10:00:00Z");
    let again = env.paid(user, &id, "301.96").await;
    assert_eq!(again["payment"]["on_time"], true);
    assert_eq!(env.events(user, &id, "loan_payment").await[0]["impact"], "positive");

    // Two installments overdue: one payment settles both, late.
    let id = env.spec_loan().await;
    env.at("2025-03-05T09:00:00Z");
    let loan = env.loan(user, &id).await;
    assert_eq!(dec(&loan["payoff_amount"]), d("10090.49"));
    let both = env.paid(user, &id, "603.92").await;
    assert_eq!(both["payment"]["on_time"], false);
    assert_eq!(dec(&both["payment"]["interest_portion"]), d("90.49"));
    assert_eq!(dec(&both["payment"]["principal_portion"]), d("513.43"));
    assert_eq!(dec(&both["loan"]["outstanding_principal"]), d("9486.57"));
    assert_eq!(both["loan"]["next_payment_due"], "2025-03-30");
    let events = env.events(user, &id, "loan_payment").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["impact"], "negative");
}

#[tokio::test]
async fn refused_amounts_record_nothing() {
    let env = Env::start("pay-refused").await;
    let user = &env.applicant;
    let id = env.spec_loan().await;
    let before = env.loan(user, &id).await;
    let history = env.history(user).await;
    for (amount, why) in [
        (num("10045.84"), "above the payoff amount"),
        (num("20000"), "far above the payoff amount"),
        (num("0"), "zero"),
        (num("0.00"), "zero"),
        (num("-5"), "negative"),
        (num("10.001"), "three decimals"),
        (json!("10.001"), "three decimals"),
        (json!("ten"), "not a number"),
        (json!(true), "not a number"),
        (Value::Null, "null"),
    ] {
        let (status, answer) = env
            .call(
                "POST",
                &format!("/api/loans/{id}/payments"),
                user,
                Some(json!({"amount": amount})),
            )
            .await;
        assert_eq!(status, 400, "{why}: {answer}");
        assert_eq!(field_of(&answer), "amount", "{why}: {answer}");
    }
    for body in [json!({}), json!({"amount": 10, "memo": "x"})] {
        let (status, answer) = env
            .call("POST", &format!("/api/loans/{id}/payments"), user, Some(body.clone()))
            .await;
        assert_eq!(status, 400, "{body}: {answer}");
    }
    assert_eq!(env.loan(user, &id).await, before, "nothing recorded");
    assert_eq!(env.history(user).await, history, "no event");
    let schedule = env.schedule_of(user, &id).await;
    assert!(
        schedule["installments"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| dec(&l["paid_amount"]).is_zero())
    );
    // The refusal names the payoff amount.
    let (status, answer) = env.pay(user, &id, "10045.84").await;
    assert_eq!(status, 400);
    assert!(
        answer["errors"][0]["message"].as_str().unwrap().contains("10045.83"),
        "the message names the payoff amount: {answer}"
    );
}

#[tokio::test]
async fn payment_refusals_name_the_field_once() {
    // Every other loans refusal names its field once ("requested_amount for a personal loan
    // must be …", "approved_rate must be between 0 and 36"); the payment's say "amount
    // amount must …".
    let env = Env::start("pay-message").await;
    let user = &env.applicant;
    let id = env.spec_loan().await;
    for (amount, expected) in [
        ("10045.84", "amount must not exceed the payoff amount 10045.83"),
        ("0", "amount must be more than 0"),
        ("10.001", "amount must have at most 2 decimal places"),
    ] {
        let (status, answer) = env.pay(user, &id, amount).await;
        assert_eq!(status, 400, "{answer}");
        assert_eq!(answer["errors"][0]["message"], expected, "{answer}");
    }
}

#[tokio::test]
async fn paying_the_payoff_amount_closes_the_loan() {
    let env = Env::start("pay-off").await;
    let user = &env.applicant;
    let id = env.spec_loan().await;
    env.at(FIRST_PAID_AT);
    env.paid(user, &id, "301.96").await;
    env.at("2025-02-10T08:30:00Z");
    let loan = env.loan(user, &id).await;
    assert_eq!(loan["payoff_amount"].to_string(), "9788.53");
    let (status, answer) = env.pay(user, &id, "9788.53").await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["message"], "Loan paid off");
    let payment = &answer["data"]["payment"];
    assert_eq!(dec(&payment["principal_portion"]), d("9743.87"));
    assert_eq!(dec(&payment["interest_portion"]), d("44.66"));
    assert_eq!(payment["on_time"], true);
    let closed = &answer["data"]["loan"];
    assert_eq!(closed["status"], "paid_off");
    assert_eq!(closed["paid_off_at"], wire_time("2025-02-10T08:30:00Z"));
    assert_eq!(dec(&closed["outstanding_principal"]), d("0"));
    assert_eq!(dec(&closed["total_paid"]), d("10090.49"));
    assert_eq!(closed["payoff_amount"], Value::Null, "null unless approved or active");
    assert_eq!(closed["next_payment_due"], Value::Null);
    assert_eq!(env.loan(user, &id).await, *closed);

    let paid_off = env.events(user, &id, "loan_paid_off").await;
    assert_eq!(paid_off.len(), 1, "{paid_off:?}");
    assert_eq!(paid_off[0]["impact"], "positive");
    assert_eq!(dec(&paid_off[0]["amount"]), d("10000"), "the approved amount");
    assert_eq!(env.events(user, &id, "loan_payment").await.len(), 2);

    // Closed: any further payment → 409, nothing recorded.
    for amount in ["0.01", "301.96"] {
        let (status, answer) = env.pay(user, &id, amount).await;
        assert_eq!(status, 409, "{answer}");
    }
    assert_eq!(env.loan(user, &id).await, *closed);
    assert_eq!(env.events(user, &id, "loan_payment").await.len(), 2);

    // Two installments overdue: the payoff includes both interests, and closing late is a
    // negative payment event followed by the payoff.
    let id = env.spec_loan().await;
    env.at("2025-03-05T09:00:00Z");
    let payoff = env.loan(user, &id).await["payoff_amount"].to_string();
    assert_eq!(payoff, "10090.49");
    let (status, answer) = env.pay(user, &id, "10090.50").await;
    assert_eq!(status, 400, "a cent above the payoff: {answer}");
    let closing = env.paid(user, &id, &payoff).await;
    assert_eq!(closing["loan"]["status"], "paid_off");
    assert_eq!(closing["payment"]["on_time"], false);
    assert_eq!(dec(&closing["payment"]["principal_portion"]), d("10000"));
    assert_eq!(dec(&closing["payment"]["interest_portion"]), d("90.49"));
    let kinds: Vec<(String, String)> = env
        .history(user)
        .await
        .iter()
        .filter(|e| e["loan_id"] == id.as_str())
        .map(|e| {
            (
                e["event_type"].as_str().unwrap().to_owned(),
                e["impact"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let kinds: Vec<(&str, &str)> = kinds.iter().map(|(k, i)| (k.as_str(), i.as_str())).collect();
    assert!(kinds.contains(&("loan_payment", "negative")), "{kinds:?}");
    assert!(kinds.contains(&("loan_paid_off", "positive")), "{kinds:?}");
    assert_eq!(kinds.len(), 4, "inquiry, disbursement, payment, payoff: {kinds:?}");

    // Right after approval the payoff is principal plus the first interest.
    let id = env.spec_loan().await;
    let closing = env.paid(user, &id, "10045.83").await;
    assert_eq!(closing["loan"]["status"], "paid_off");
    assert_eq!(closing["loan"]["paid_off_at"], wire_time(DECIDED_AT));
    assert_eq!(dec(&closing["payment"]["principal_portion"]), d("10000"));
    assert_eq!(dec(&closing["payment"]["interest_portion"]), d("45.83"));
}

#[tokio::test]
async fn only_approved_and_active_loans_of_the_caller_take_payments() {
    let env = Env::start("pay-status").await;
    let user = &env.applicant;
    let submitted = id_of(&env.apply(user, seed_application()).await);
    let rejected = id_of(&env.apply(user, seed_application()).await);
    let cancelled = id_of(&env.apply(user, seed_application()).await);
    assert_eq!(env.decide(&rejected, json!({"decision": "reject"})).await.0, 200);
    let (status, _) = env
        .call("POST", &format!("/api/loans/{cancelled}/cancel"), user, None)
        .await;
    assert_eq!(status, 200);
    for (id, status_now) in [
        (&submitted, "submitted"),
        (&rejected, "rejected"),
        (&cancelled, "cancelled"),
    ] {
        assert_eq!(env.loan(user, id).await["status"], status_now);
        let (status, answer) = env.pay(user, id, "100").await;
        assert_eq!(status, 409, "{status_now}: {answer}");
        assert_eq!(env.loan(user, id).await["status"], status_now);
    }
    // Another user's loan, or an unknown one → 404.
    let approved = env.spec_loan().await;
    let other = env.user("pay-other").await;
    let (status, _) = env.pay(&other, &approved, "100").await;
    assert_eq!(status, 404);
    let (status, _) = env.pay(&env.staff, &approved, "100").await;
    assert_eq!(status, 404);
    let (status, _) = env.pay(user, "la_unknown", "100").await;
    assert_eq!(status, 404);
    let loan = env.loan(user, &approved).await;
    assert_eq!(
        (loan["status"].clone(), dec(&loan["total_paid"])),
        (json!("approved"), d("0"))
    );
    assert!(env.events(user, &approved, "loan_payment").await.is_empty());
}

#[tokio::test]
async fn a_retry_with_the_same_idempotency_key_pays_once() {
    let env = Env::start("pay-idem").await;
    let user = &env.applicant;
    let token = user.access_token.as_str();
    let id = env.spec_loan().await;
    let path = format!("/api/loans/{id}/payments");
    env.at(FIRST_PAID_AT);
    let body = json!({"amount": num("301.96")});
    let (status, first) = env.post_with_key(&path, token, "pay-1", &body).await;
    assert_eq!(status, 201, "{first}");
    // Retried later the same day, and just within the 24 hours a key is remembered: the
    // original answer.
    env.at("2025-01-28T20:00:00Z");
    let (status, again) = env.post_with_key(&path, token, "pay-1", &body).await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(again, first);
    env.at("2025-01-29T09:14:59Z");
    let (status, again) = env.post_with_key(&path, token, "pay-1", &body).await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(again, first);
    // The same amount written otherwise is the same request.
    let (status, again) = env
        .post_with_key(&path, token, "pay-1", &json!({"amount": "301.960"}))
        .await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(again, first);
    let key: MakeLoanPaymentIdempotencyKey = "pay-1".parse().unwrap();
    let typed = env
        .client(user)
        .make_loan_payment(
            &id.parse().unwrap(),
            Some(&key),
            &LoanPaymentRequest { amount: d("301.96") },
        )
        .await
        .expect("replayed")
        .into_inner();
    assert_eq!(
        typed.data.payment.id.as_str(),
        first["data"]["payment"]["id"].as_str().unwrap()
    );
    assert_eq!(typed.data.loan.status, LoanStatus::Active);

    let loan = env.loan(user, &id).await;
    assert_eq!(dec(&loan["total_paid"]), d("301.96"), "paid once");
    assert_eq!(dec(&loan["outstanding_principal"]), d("9743.87"));
    assert_eq!(env.events(user, &id, "loan_payment").await.len(), 1);

    // The key with another amount → 409, nothing paid.
    let (status, answer) = env
        .post_with_key(&path, token, "pay-1", &json!({"amount": num("301.97")}))
        .await;
    assert_eq!(status, 409, "{answer}");
    let typed = env
        .client(user)
        .make_loan_payment(
            &id.parse().unwrap(),
            Some(&key),
            &LoanPaymentRequest { amount: d("50") },
        )
        .await;
    assert_eq!(failure(typed).0, 409);
    assert_eq!(env.loan(user, &id).await, loan);

    // A new key pays again.
    let (status, next) = env.post_with_key(&path, token, "pay-2", &body).await;
    assert_eq!(status, 201, "{next}");
    assert_ne!(next["data"]["payment"]["id"], first["data"]["payment"]["id"]);
    assert_eq!(dec(&next["data"]["loan"]["total_paid"]), d("603.92"));
    assert_eq!(env.events(user, &id, "loan_payment").await.len(), 2);

    // Keys are remembered for 24 hours: after that, the first key acts anew.
    env.at("2025-01-29T09:15:01Z");
    let (status, anew) = env.post_with_key(&path, token, "pay-1", &body).await;
    assert_eq!(status, 201, "{anew}");
    assert_ne!(anew["data"]["payment"]["id"], first["data"]["payment"]["id"]);
    assert_eq!(dec(&anew["data"]["loan"]["total_paid"]), d("905.88"));
}
