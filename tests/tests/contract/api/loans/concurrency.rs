//! The loans group under concurrency (SQLite by default, PostgreSQL with
//! `TEST_DATABASE_URL`): concurrent applications get distinct numbers, concurrent payments
//! never take more than was owed and each accepted one is booked exactly once (the outcome
//! equals paying the same amounts one after another), a cancel racing a decision (or two
//! decisions racing) has exactly one winner, and concurrent retries with one
//! `Idempotency-Key` submit once.

use std::collections::BTreeSet;

use futures_util::future::join_all;
use meridian_contract_tests::TestServer;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::support::{Env, application, d, dec, id_of, seed_application};

/// A server with room for concurrent requests, clock fixed, applicant and staff.
async fn start(prefix: &str) -> Env {
    Env::on(TestServer::builder().pool(10, 10).start().await, prefix).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_applications_get_distinct_numbers() {
    let env = start("race-apply").await;
    let mut users = vec![env.applicant.clone()];
    for n in 0..3 {
        users.push(env.user(&format!("race-apply-{n}")).await);
    }
    let attempts = (0..20).map(|i| {
        let user = &users[i % users.len()];
        env.try_apply(user, application("personal", &format!("{}", 1000 + i), 12))
    });
    let results = join_all(attempts).await;
    let mut numbers = BTreeSet::new();
    let mut ids = BTreeSet::new();
    for (status, answer) in &results {
        assert_eq!(*status, 201, "{answer}");
        let number = answer["data"]["application_number"].as_str().unwrap().to_owned();
        assert!(number.starts_with("LA-2024-"), "{number}");
        numbers.insert(number);
        ids.insert(answer["data"]["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(numbers.len(), 20, "distinct application numbers: {numbers:?}");
    assert_eq!(ids.len(), 20);
    for user in &users {
        let (_, listed) = env.call("GET", "/api/loans", user, None).await;
        assert_eq!(listed["data"]["pagination"]["total"], 5);
    }
}

/// Pays `amount` `times` times on `id` (all at once when `concurrent`): the 201 bodies'
/// `data`, after checking every other answer is a 400 over the payoff amount.
async fn pay_many(env: &Env, id: &str, amount: &str, times: usize, concurrent: bool) -> Vec<Value> {
    let results = if concurrent {
        join_all((0..times).map(|_| env.pay(&env.applicant, id, amount))).await
    } else {
        let mut out = Vec::new();
        for _ in 0..times {
            out.push(env.pay(&env.applicant, id, amount).await);
        }
        out
    };
    let mut accepted = Vec::new();
    for (status, answer) in results {
        match status {
            201 => accepted.push(answer["data"].clone()),
            400 => assert_eq!(answer["errors"][0]["field"], "amount", "{answer}"),
            other => panic!("unexpected {other}: {answer}"),
        }
    }
    accepted
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_payments_never_take_more_than_was_owed() {
    let env = start("race-pay").await;
    let user = &env.applicant;
    let raced = env.spec_loan().await;
    let serial = env.spec_loan().await;
    // Twelve payments of 1500 (18000) against 10045.83 owed.
    let accepted = pay_many(&env, &raced, "1500", 12, true).await;
    let expected = pay_many(&env, &serial, "1500", 12, false).await;
    assert!(
        !accepted.is_empty() && accepted.len() < 12,
        "{} accepted",
        accepted.len()
    );
    assert_eq!(accepted.len(), expected.len(), "as many as paid one after another");

    let amount = |p: &Value, field: &str| dec(&p["payment"][field]);
    let total: Decimal = accepted.iter().map(|p| amount(p, "amount")).sum();
    let principal: Decimal = accepted.iter().map(|p| amount(p, "principal_portion")).sum();
    let interest: Decimal = accepted.iter().map(|p| amount(p, "interest_portion")).sum();
    assert_eq!(total, principal + interest);
    assert!(principal <= d("10000"), "principal repaid {principal}");
    let mut ids = BTreeSet::new();
    for p in &accepted {
        assert!(
            ids.insert(p["payment"]["id"].as_str().unwrap().to_owned()),
            "one id per payment"
        );
        assert!(dec(&p["loan"]["outstanding_principal"]) >= Decimal::ZERO, "{p}");
    }

    // The ledger: booked once each, and the same end state as the serial payments.
    let loan = env.loan(user, &raced).await;
    let after_serial = env.loan(user, &serial).await;
    let outstanding = dec(&loan["outstanding_principal"]);
    assert!(outstanding >= Decimal::ZERO);
    assert_eq!(outstanding, d("10000") - principal, "principal − Σ principal portions");
    assert_eq!(dec(&loan["total_paid"]), total, "Σ accepted payments");
    for field in [
        "status",
        "outstanding_principal",
        "total_paid",
        "payoff_amount",
        "next_payment_due",
    ] {
        assert_eq!(loan[field], after_serial[field], "{field}");
    }
    let events = env.events(user, &raced, "loan_payment").await;
    assert_eq!(events.len(), accepted.len(), "one event per accepted payment");
    let schedule = env.schedule_of(user, &raced).await;
    let paid: Decimal = schedule["installments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| dec(&l["paid_amount"]))
        .sum();
    assert_eq!(paid, total, "the schedule holds every payment once");
    assert_eq!(schedule, {
        let mut s = env.schedule_of(user, &serial).await;
        s["loan_id"] = json!(raced);
        s
    });

    // Racing to close: exactly one of several payoff payments wins.
    let payoff = loan["payoff_amount"].to_string();
    let results = join_all((0..6).map(|_| env.pay(user, &raced, &payoff))).await;
    let wins = results.iter().filter(|(s, _)| *s == 201).count();
    assert_eq!(wins, 1, "{results:?}");
    assert!(results.iter().all(|(s, _)| *s == 201 || *s == 409), "{results:?}");
    let closed = env.loan(user, &raced).await;
    assert_eq!(closed["status"], "paid_off");
    assert_eq!(dec(&closed["outstanding_principal"]), Decimal::ZERO);
    assert_eq!(env.events(user, &raced, "loan_paid_off").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cancel_racing_a_decision_has_one_winner() {
    let env = start("race-cancel").await;
    let user = &env.applicant;
    let (mut cancels, mut approvals) = (0, 0);
    for _ in 0..6 {
        let id = id_of(&env.apply(user, seed_application()).await);
        let cancel_path = format!("/api/loans/{id}/cancel");
        let cancel = env.call("POST", &cancel_path, user, None);
        let approve = env.decide(&id, json!({"decision": "approve"}));
        let ((c, c_body), (a, a_body)) = tokio::join!(cancel, approve);
        let mut codes = [c, a];
        codes.sort_unstable();
        assert_eq!(codes, [200, 409], "cancel {c} {c_body}, approve {a} {a_body}");
        let loan = env.loan(user, &id).await;
        let cancelled = env.events(user, &id, "loan_application_cancelled").await.len();
        let disbursed = env.events(user, &id, "loan_disbursed").await.len();
        if c == 200 {
            cancels += 1;
            assert_eq!(loan["status"], "cancelled");
            assert_eq!((cancelled, disbursed), (1, 0));
            assert_eq!(loan["decided_at"], Value::Null);
        } else {
            approvals += 1;
            assert_eq!(loan["status"], "approved");
            assert_eq!((cancelled, disbursed), (0, 1));
            assert_eq!(loan["cancelled_at"], Value::Null);
        }
    }
    assert_eq!(cancels + approvals, 6);

    // Two staff deciding at once: one decision stands.
    let second = env.user("race-cancel-staff2").await;
    meridian_contract_tests::fixtures::set_role(&env.server, &second.id, "staff").await;
    for _ in 0..4 {
        let id = id_of(&env.apply(user, seed_application()).await);
        let ((a, _), (r, _)) = tokio::join!(
            env.decide(&id, json!({"decision": "approve"})),
            env.decide_as(&second, &id, json!({"decision": "reject"}))
        );
        let mut codes = [a, r];
        codes.sort_unstable();
        assert_eq!(codes, [200, 409]);
        let loan = env.loan(user, &id).await;
        let expected = if a == 200 { "approved" } else { "rejected" };
        assert_eq!(loan["status"], expected);
        let events =
            env.events(user, &id, "loan_disbursed").await.len() + env.events(user, &id, "loan_rejected").await.len();
        assert_eq!(events, 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_retries_with_one_idempotency_key_submit_once() {
    let env = start("race-idem").await;
    let user = &env.applicant;
    let token = user.access_token.as_str();
    let body = seed_application();
    let results = join_all((0..6).map(|_| env.post_with_key("/api/loans/apply", token, "same-key", &body))).await;
    for (status, answer) in &results {
        assert_eq!(*status, 201, "{answer}");
        assert_eq!(*answer, results[0].1, "every retry gets the first answer");
    }
    let (_, listed) = env.call("GET", "/api/loans", user, None).await;
    assert_eq!(listed["data"]["pagination"]["total"], 1);

    let id = id_of(&results[0].1["data"]);
    env.at("2024-12-30T16:00:00Z");
    env.approve(&id).await;
    let path = format!("/api/loans/{id}/payments");
    let pay = json!({"amount": 500});
    let results = join_all((0..6).map(|_| env.post_with_key(&path, token, "pay-key", &pay))).await;
    for (status, answer) in &results {
        assert_eq!(*status, 201, "{answer}");
        assert_eq!(*answer, results[0].1);
    }
    let loan = env.loan(user, &id).await;
    assert_eq!(dec(&loan["total_paid"]), d("500"), "paid once");
    assert_eq!(env.events(user, &id, "loan_payment").await.len(), 1);
}
