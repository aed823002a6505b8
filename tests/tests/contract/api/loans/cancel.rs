//! `POST /api/loans/{id}/cancel`: the applicant withdraws a `submitted` application
//! (`cancelled`, `cancelled_at`, a `loan_application_cancelled` event); anything else,
//! including a second cancel, is 409; another user's or an unknown id is 404.

use serde_json::{Value, json};

use super::support::{Env, application, id_of, seed_application, wire_time};

#[tokio::test]
async fn a_submitted_application_is_cancelled_once() {
    let env = Env::start("cancel").await;
    let user = &env.applicant;
    let loan = env.apply(user, seed_application()).await;
    let id = id_of(&loan);
    env.at("2024-12-31T09:12:34Z");
    let (status, answer) = env.call("POST", &format!("/api/loans/{id}/cancel"), user, None).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["success"], true);
    assert_eq!(answer["message"], "Loan application cancelled");
    let cancelled = &answer["data"];
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["cancelled_at"], wire_time("2024-12-31T09:12:34Z"));
    for field in [
        "decided_at",
        "disbursed_at",
        "approved_amount",
        "payoff_amount",
        "paid_off_at",
    ] {
        assert_eq!(cancelled[field], Value::Null, "{field}");
    }
    // Everything else is the application as submitted.
    let mut expected = loan.clone();
    expected["status"] = json!("cancelled");
    expected["cancelled_at"] = cancelled["cancelled_at"].clone();
    assert_eq!(*cancelled, expected);
    assert_eq!(env.loan(user, &id).await, *cancelled);

    let events = env.events(user, &id, "loan_application_cancelled").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["impact"], "neutral");
    assert_eq!(events[0]["event_date"], wire_time("2024-12-31T09:12:34Z"));
    assert_eq!(events[0].get("amount"), None);

    // A second cancel → 409, nothing changes, no second event.
    env.at("2024-12-31T10:00:00Z");
    let (status, answer) = env.call("POST", &format!("/api/loans/{id}/cancel"), user, None).await;
    assert_eq!(status, 409, "{answer}");
    assert_eq!(answer["success"], false);
    assert_eq!(env.loan(user, &id).await, *cancelled);
    assert_eq!(env.events(user, &id, "loan_application_cancelled").await.len(), 1);
    // Through the typed SDK as well.
    let typed = env.client(user).cancel_loan(&id.parse().unwrap()).await;
    assert_eq!(meridian_contract_tests::fixtures::failure(typed).0, 409);
}

#[tokio::test]
async fn decided_applications_cannot_be_cancelled() {
    let env = Env::start("cancel-decided").await;
    let user = &env.applicant;
    let approved = id_of(&env.apply(user, seed_application()).await);
    let rejected = id_of(&env.apply(user, application("auto", "20000", 48)).await);
    let paid_off = id_of(&env.apply(user, application("personal", "1000", 6)).await);
    env.at("2024-12-30T16:00:00Z");
    env.approve(&approved).await;
    let (status, _) = env.decide(&rejected, json!({"decision": "reject"})).await;
    assert_eq!(status, 200);
    let (status, _) = env
        .decide(&paid_off, json!({"decision": "approve", "approved_rate": 0}))
        .await;
    assert_eq!(status, 200);
    let closing = env.paid(user, &paid_off, "1000").await;
    assert_eq!(closing["loan"]["status"], "paid_off");
    env.paid(user, &approved, "301.96").await;

    for (id, status_now) in [(&approved, "active"), (&rejected, "rejected"), (&paid_off, "paid_off")] {
        let before = env.loan(user, id).await;
        assert_eq!(before["status"], status_now);
        let (status, answer) = env.call("POST", &format!("/api/loans/{id}/cancel"), user, None).await;
        assert_eq!(status, 409, "{status_now}: {answer}");
        assert_eq!(env.loan(user, id).await, before, "{status_now}: unchanged");
        assert!(env.events(user, id, "loan_application_cancelled").await.is_empty());
    }
    // An approved loan (no payment yet) too.
    let fresh = id_of(&env.apply(user, application("personal", "3000", 12)).await);
    let (status, _) = env
        .decide(&fresh, json!({"decision": "approve", "approved_rate": 4}))
        .await;
    assert_eq!(status, 200);
    let (status, _) = env
        .call("POST", &format!("/api/loans/{fresh}/cancel"), user, None)
        .await;
    assert_eq!(status, 409);
    assert_eq!(env.loan(user, &fresh).await["status"], "approved");
}

#[tokio::test]
async fn another_users_or_an_unknown_application_is_404() {
    let env = Env::start("cancel-other").await;
    let owner = &env.applicant;
    let id = id_of(&env.apply(owner, seed_application()).await);
    let other = env.user("cancel-intruder").await;
    for who in [&other, &env.staff] {
        let (status, answer) = env.call("POST", &format!("/api/loans/{id}/cancel"), who, None).await;
        assert_eq!(status, 404, "{answer}");
    }
    assert_eq!(env.loan(owner, &id).await["status"], "submitted", "still submitted");
    assert!(env.events(owner, &id, "loan_application_cancelled").await.is_empty());
    for unknown in ["la_nothing", "x"] {
        let (status, _) = env
            .call("POST", &format!("/api/loans/{unknown}/cancel"), owner, None)
            .await;
        assert_eq!(status, 404, "{unknown}");
    }
    // An id longer than ids are (64) is malformed: 400 naming it.
    let (status, answer) = env
        .call("POST", &format!("/api/loans/{}/cancel", "a".repeat(65)), owner, None)
        .await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["errors"][0]["field"], "id", "{answer}");
    // The owner still can.
    let (status, _) = env.call("POST", &format!("/api/loans/{id}/cancel"), owner, None).await;
    assert_eq!(status, 200);
}
