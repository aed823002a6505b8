//! `GET /api/credit/history`: the events the loan flows write, with the documented types,
//! impacts, amounts and loan ids, newest first; seed 003's pagination (`page`, `per_page` ≤
//! 100, `pages`, `has_next`, `has_prev`, a page past the end empty with the real
//! pagination); each user sees only their own events.

use std::num::NonZeroU64;

use meridian::types::{CreditEventType, CreditImpact};
use meridian_contract_tests::fixtures::{client_with_token, request, signed_in_user};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::support::{
    DAY, MINUTE, T0, apply, approve, d, decide, history, id, loan, number, pay, personal, staff, start,
};

/// One event as the tests compare it: (time, type, impact, amount, loan id).
type Event = (i64, String, String, Option<Decimal>, String);

#[tokio::test]
async fn loan_flows_write_the_documented_events() {
    let (server, user, client) = start("events").await;
    let token = user.access_token.as_str();
    let staff = staff(&server).await;
    let clock = &server.state().clock;
    let mut expected: Vec<Event> = Vec::new();
    let mut expect = |at: i64, kind: &str, impact: &str, amount: Option<Decimal>, loan: &str| {
        expected.push((at, kind.to_owned(), impact.to_owned(), amount, loan.to_owned()));
    };

    // Applications: a credit inquiry each, neutral, without an amount.
    let a = id(&apply(&server, token, personal("10000", 36, "5.5")).await);
    expect(T0, "credit_inquiry", "neutral", None, &a);
    clock.set_ms(T0 + MINUTE);
    let b = id(&apply(
        &server,
        token,
        json!({"loan_type": "auto", "requested_amount": 15000, "requested_term_months": 60}),
    )
    .await);
    expect(T0 + MINUTE, "credit_inquiry", "neutral", None, &b);
    // The applicant cancels one.
    clock.set_ms(T0 + 2 * MINUTE);
    let (status, body) = request(&server, "POST", &format!("/api/loans/{b}/cancel"), Some(token), None).await;
    assert_eq!(status, 200, "{body}");
    expect(T0 + 2 * MINUTE, "loan_application_cancelled", "neutral", None, &b);
    // Staff reject one.
    clock.set_ms(T0 + 3 * MINUTE);
    let c = id(&apply(
        &server,
        token,
        json!({"loan_type": "business", "requested_amount": 20000, "requested_term_months": 24, "requested_rate": 7}),
    )
    .await);
    expect(T0 + 3 * MINUTE, "credit_inquiry", "neutral", None, &c);
    clock.set_ms(T0 + 4 * MINUTE);
    let rejected = decide(&server, &staff, &c, json!({"decision": "reject", "reason": "Too soon"})).await;
    assert_eq!(rejected["status"], "rejected");
    expect(T0 + 4 * MINUTE, "loan_rejected", "neutral", None, &c);
    // Staff approve one: disbursed, the approved amount.
    clock.set_ms(T0 + 5 * MINUTE);
    approve(&server, &staff, &a).await;
    expect(T0 + 5 * MINUTE, "loan_disbursed", "neutral", Some(d("10000")), &a);
    // Payments: positive on time, negative late, the amount paid.
    clock.set_ms(T0 + DAY);
    pay(&server, token, &a, d("301.96")).await;
    expect(T0 + DAY, "loan_payment", "positive", Some(d("301.96")), &a);
    assert_eq!(loan(&server, token, &a).await["next_payment_due"], "2026-05-03");
    clock.set_ms(T0 + 62 * DAY);
    pay(&server, token, &a, d("250")).await;
    expect(T0 + 62 * DAY, "loan_payment", "negative", Some(d("250")), &a);
    // A loan approved below the requested amount, then paid off in one payment.
    clock.set_ms(T0 + 62 * DAY + MINUTE);
    let e = id(&apply(&server, token, personal("1000", 6, "5")).await);
    expect(T0 + 62 * DAY + MINUTE, "credit_inquiry", "neutral", None, &e);
    clock.set_ms(T0 + 62 * DAY + 2 * MINUTE);
    decide(
        &server,
        &staff,
        &e,
        json!({"decision": "approve", "approved_amount": 800}),
    )
    .await;
    expect(
        T0 + 62 * DAY + 2 * MINUTE,
        "loan_disbursed",
        "neutral",
        Some(d("800")),
        &e,
    );
    clock.set_ms(T0 + 62 * DAY + 3 * MINUTE);
    let payoff = number(&loan(&server, token, &e).await["payoff_amount"]);
    assert!(
        payoff > d("800"),
        "principal plus the first installment's interest: {payoff}"
    );
    let paid = pay(&server, token, &e, payoff).await;
    assert_eq!(paid["loan"]["status"], "paid_off");
    expect(T0 + 62 * DAY + 3 * MINUTE, "loan_payment", "positive", Some(payoff), &e);
    expect(
        T0 + 62 * DAY + 3 * MINUTE,
        "loan_paid_off",
        "positive",
        Some(d("800")),
        &e,
    );

    // The whole history through the SDK, newest first.
    let page = client
        .list_credit_history(None, NonZeroU64::new(100))
        .await
        .expect("history")
        .into_inner()
        .data;
    assert_eq!(page.pagination.total, expected.len() as i64);
    let actual: Vec<Event> = page
        .history
        .iter()
        .map(|e| {
            (
                e.event_date.timestamp_millis(),
                e.event_type.to_string(),
                e.impact.to_string(),
                e.amount,
                e.loan_id.as_ref().map(|l| l.as_str().to_owned()).unwrap_or_default(),
            )
        })
        .collect();
    for pair in page.history.windows(2) {
        assert!(
            (pair[0].event_date, pair[0].id.as_str()) > (pair[1].event_date, pair[1].id.as_str()),
            "newest first by event_date, then id: {pair:?}"
        );
    }
    // Events of the same instant come in id order, which the test cannot know in advance.
    let mut sorted = actual.clone();
    sorted.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
    expected.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
    assert_eq!(sorted, expected);
    assert!(page.history.iter().all(|e| e.id.starts_with("ch_")));

    // Seed 003's descriptions where it gives them.
    let described = |kind: CreditEventType, impact: CreditImpact| {
        page.history
            .iter()
            .find(|e| e.event_type == kind && e.impact == impact)
            .map(|e| e.description.as_str().to_owned())
            .unwrap()
    };
    assert_eq!(
        described(CreditEventType::CreditInquiry, CreditImpact::Neutral),
        "Credit check for loan application"
    );
    assert_eq!(
        described(CreditEventType::LoanPayment, CreditImpact::Positive),
        "On-time loan payment"
    );
    assert_eq!(
        described(CreditEventType::LoanPayment, CreditImpact::Negative),
        "Late loan payment"
    );

    // On the wire, `amount` is absent (not null) where there is none.
    let (status, raw) = history(&server, token, "?per_page=100").await;
    assert_eq!(status, 200);
    for event in raw["data"]["history"].as_array().unwrap() {
        let kind = event["event_type"].as_str().unwrap();
        let has_amount = matches!(kind, "loan_disbursed" | "loan_payment" | "loan_paid_off");
        assert_eq!(event.get("amount").is_some(), has_amount, "{event}");
        if has_amount {
            assert!(event["amount"].is_number(), "{event}");
        }
    }
}

/// The `(event ids, pagination)` of one page.
fn page_of(body: &Value) -> (Vec<String>, Value) {
    let ids = body["data"]["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    (ids, body["data"]["pagination"].clone())
}

#[tokio::test]
async fn history_is_paginated_like_seed_003() {
    let (server, user, _client) = start("pages").await;
    let token = user.access_token.as_str();

    // Empty history.
    let (status, body) = history(&server, token, "").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"success": true, "data": {"history": [], "pagination": {
            "page": 1, "per_page": 20, "total": 0, "pages": 0, "has_next": false, "has_prev": false}}})
    );

    // Seven events a minute apart: four applications, three cancelled.
    let mut at = T0;
    for i in 0..4 {
        server.state().clock.set_ms(at);
        let loan = id(&apply(&server, token, personal("2000", 12, "6")).await);
        at += MINUTE;
        if i < 3 {
            server.state().clock.set_ms(at);
            let (status, _) = request(&server, "POST", &format!("/api/loans/{loan}/cancel"), Some(token), None).await;
            assert_eq!(status, 200);
            at += MINUTE;
        }
    }
    let (_, all) = history(&server, token, "?page=1&per_page=20").await;
    let (all, pagination) = page_of(&all);
    assert_eq!(all.len(), 7);
    assert_eq!(
        pagination,
        json!({"page": 1, "per_page": 20, "total": 7, "pages": 1, "has_next": false, "has_prev": false})
    );

    // Pages of 3 cover the same events in the same order.
    let mut seen = Vec::new();
    for (page, has_next, has_prev, len) in [(1, true, false, 3), (2, true, true, 3), (3, false, true, 1)] {
        let (status, body) = history(&server, token, &format!("?page={page}&per_page=3")).await;
        assert_eq!(status, 200, "{body}");
        let (ids, pagination) = page_of(&body);
        assert_eq!(ids.len(), len, "page {page}");
        assert_eq!(
            pagination,
            json!({"page": page, "per_page": 3, "total": 7, "pages": 3, "has_next": has_next, "has_prev": has_prev})
        );
        seen.extend(ids);
    }
    assert_eq!(seen, all);

    // A page past the end: empty, with the real pagination.
    let (status, body) = history(&server, token, "?page=9&per_page=3").await;
    assert_eq!(status, 200);
    assert_eq!(
        body["data"],
        json!({"history": [], "pagination": {
            "page": 9, "per_page": 3, "total": 7, "pages": 3, "has_next": false, "has_prev": true}})
    );
    // The largest page number there is: still an empty page, never an overflow.
    let (status, body) = history(&server, token, "?page=9223372036854775807&per_page=100").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["history"], json!([]));
    assert_eq!(body["data"]["pagination"]["page"], i64::MAX);
    assert_eq!(body["data"]["pagination"]["has_prev"], true);
    // The largest page size, and the newest event first.
    let (status, body) = history(&server, token, "?per_page=100").await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["pagination"]["per_page"], 100);
    assert_eq!(body["data"]["history"][0]["event_type"], "credit_inquiry");
    assert_eq!(body["data"]["history"][1]["event_type"], "loan_application_cancelled");
    assert_eq!(body["data"]["history"][0]["event_date"], "2026-03-03T10:06:00.000Z");

    // Out of range or malformed: 400 naming the parameter.
    for (query, field) in [
        ("?per_page=101", "per_page"),
        ("?per_page=0", "per_page"),
        ("?per_page=-5", "per_page"),
        ("?per_page=ten", "per_page"),
        ("?page=0", "page"),
        ("?page=-1", "page"),
        ("?page=1.5", "page"),
        ("?page=9223372036854775808", "page"),
    ] {
        let (status, body) = history(&server, token, query).await;
        assert_eq!(status, 400, "{query} → {body}");
        assert_eq!(body["success"], false);
        assert_eq!(body["errors"][0]["field"], field, "{query} → {body}");
    }
}

#[tokio::test]
async fn users_never_see_each_others_events() {
    let (server, alice, alice_client) = start("alice").await;
    let bob = signed_in_user(&server, "bob").await;
    let bob_client = client_with_token(&server, &bob.access_token);
    let staff = staff(&server).await;
    let alices = id(&apply(&server, &alice.access_token, personal("4000", 12, "6")).await);
    approve(&server, &staff, &alices).await;
    let bobs = id(&apply(&server, &bob.access_token, personal("3000", 12, "6")).await);

    let events = |page: meridian::types::CreditHistoryPage| -> Vec<(String, String)> {
        page.history
            .iter()
            .map(|e| {
                (
                    e.event_type.to_string(),
                    e.loan_id.as_ref().map(|l| l.as_str().to_owned()).unwrap_or_default(),
                )
            })
            .collect()
    };
    let of_alice = events(
        alice_client
            .list_credit_history(None, None)
            .await
            .unwrap()
            .into_inner()
            .data,
    );
    let mut sorted = of_alice.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            ("credit_inquiry".to_owned(), alices.clone()),
            ("loan_disbursed".to_owned(), alices.clone())
        ]
    );
    let of_bob = events(
        bob_client
            .list_credit_history(None, None)
            .await
            .unwrap()
            .into_inner()
            .data,
    );
    assert_eq!(of_bob, [("credit_inquiry".to_owned(), bobs)]);
    // Staff decided Alice's loan, but it is not their history.
    let staff_page = client_with_token(&server, &staff.access_token)
        .list_credit_history(None, None)
        .await
        .unwrap()
        .into_inner()
        .data;
    assert!(staff_page.history.is_empty());
    assert_eq!(staff_page.pagination.total, 0);
}
