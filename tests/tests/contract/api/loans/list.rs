//! `GET /api/loans` and `GET /api/loans/{id}`: the caller's loans newest first (by
//! `submitted_at`, then `id`), the `status` filter, seed 003's pagination (`per_page` at most
//! 100), and nobody else's loans: absent from the list, 404 on get.

use std::num::NonZeroU64;

use meridian::types::LoanStatus;
use serde_json::{Value, json};

use super::support::{Env, application, id_of};

/// The ids on one page and its pagination `(page, per_page, total, pages, has_next, has_prev)`.
async fn page(env: &Env, query: &str) -> (Vec<String>, Value) {
    let (status, answer) = env
        .call("GET", &format!("/api/loans{query}"), &env.applicant, None)
        .await;
    assert_eq!(status, 200, "{query}: {answer}");
    let ids = answer["data"]["loans"]
        .as_array()
        .expect("loans")
        .iter()
        .map(id_of)
        .collect();
    (ids, answer["data"]["pagination"].clone())
}

fn pagination(page: u64, per_page: u64, total: u64, pages: u64, has_next: bool, has_prev: bool) -> Value {
    json!({"page": page, "per_page": per_page, "total": total, "pages": pages, "has_next": has_next, "has_prev": has_prev})
}

#[tokio::test]
async fn own_loans_newest_first_with_status_filter_and_pagination() {
    let env = Env::start("list").await;
    let user = &env.applicant;
    // Five applications a minute apart, taken to five different statuses.
    let mut ids = Vec::new();
    for (minute, amount) in [(0, "1000"), (1, "2000"), (2, "3000"), (3, "4000"), (4, "5000")] {
        env.at(&format!("2024-12-30T15:3{minute}:00Z"));
        ids.push(id_of(&env.apply(user, application("personal", amount, 12)).await));
    }
    let [a, b, c, e, f] = [0, 1, 2, 3, 4].map(|i| ids[i].clone());
    env.at("2024-12-30T16:00:00Z");
    let (status, _) = env.call("POST", &format!("/api/loans/{b}/cancel"), user, None).await;
    assert_eq!(status, 200);
    let (status, _) = env.decide(&c, json!({"decision": "reject"})).await;
    assert_eq!(status, 200);
    let (status, _) = env.decide(&e, json!({"decision": "approve", "approved_rate": 6})).await;
    assert_eq!(status, 200);
    let (status, _) = env.decide(&f, json!({"decision": "approve", "approved_rate": 6})).await;
    assert_eq!(status, 200);
    env.paid(user, &f, "100").await;
    // Someone else's application is never listed.
    let other = env.user("list-other").await;
    let theirs = id_of(&env.apply(&other, application("auto", "9000", 24)).await);

    let (listed, p) = page(&env, "").await;
    assert_eq!(listed, [&f, &e, &c, &b, &a].map(String::clone), "newest first");
    assert_eq!(p, pagination(1, 20, 5, 1, false, false));
    let (_, answer) = env.call("GET", "/api/loans", user, None).await;
    let statuses: Vec<&str> = answer["data"]["loans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["active", "approved", "rejected", "cancelled", "submitted"]);
    // Each listed loan is what GET answers for it.
    for loan in answer["data"]["loans"].as_array().unwrap() {
        assert_eq!(env.loan(user, &id_of(loan)).await, *loan);
        assert_eq!(loan["user_id"], user.id.as_str());
    }

    // The status filter.
    for (status, expected) in [
        ("submitted", vec![&a]),
        ("cancelled", vec![&b]),
        ("rejected", vec![&c]),
        ("approved", vec![&e]),
        ("active", vec![&f]),
        ("paid_off", vec![]),
    ] {
        let (listed, p) = page(&env, &format!("?status={status}")).await;
        let expected: Vec<String> = expected.into_iter().cloned().collect();
        assert_eq!(listed, expected, "{status}");
        let n = expected.len() as u64;
        assert_eq!(p, pagination(1, 20, n, n, false, false), "{status}");
    }

    // Pages of two, and a page past the end.
    assert_eq!(
        page(&env, "?per_page=2").await,
        (vec![f.clone(), e.clone()], pagination(1, 2, 5, 3, true, false))
    );
    assert_eq!(
        page(&env, "?per_page=2&page=2").await,
        (vec![c.clone(), b.clone()], pagination(2, 2, 5, 3, true, true))
    );
    assert_eq!(
        page(&env, "?per_page=2&page=3").await,
        (vec![a.clone()], pagination(3, 2, 5, 3, false, true))
    );
    assert_eq!(
        page(&env, "?per_page=2&page=4").await,
        (vec![], pagination(4, 2, 5, 3, false, true))
    );
    assert_eq!(
        page(&env, "?per_page=100").await.1,
        pagination(1, 100, 5, 1, false, false)
    );
    assert_eq!(
        page(&env, "?status=submitted&per_page=1&page=2").await,
        (vec![], pagination(2, 1, 1, 1, false, true))
    );
    // The typed SDK agrees.
    let typed = env
        .client(user)
        .list_loans(NonZeroU64::new(2), NonZeroU64::new(2), None)
        .await
        .expect("typed list")
        .into_inner()
        .data;
    let typed_ids: Vec<String> = typed.loans.iter().map(|l| l.id.to_string()).collect();
    assert_eq!(typed_ids, [c.clone(), b.clone()]);
    assert_eq!((typed.pagination.total, typed.pagination.pages), (5, 3));
    let rejected = env
        .client(user)
        .list_loans(None, None, Some(LoanStatus::Rejected))
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(rejected.loans.len(), 1);
    assert_eq!(rejected.loans[0].status, LoanStatus::Rejected);

    // Out-of-range or unknown parameters → 400.
    for query in [
        "?per_page=101",
        "?per_page=0",
        "?page=0",
        "?page=-1",
        "?per_page=abc",
        "?status=pending",
    ] {
        let (status, answer) = env.call("GET", &format!("/api/loans{query}"), user, None).await;
        assert_eq!(status, 400, "{query}: {answer}");
    }

    // Other users' loans: 404 on get, and they see only their own.
    let (status, answer) = env.call("GET", &format!("/api/loans/{theirs}"), user, None).await;
    assert_eq!(status, 404, "{answer}");
    for id in [&a, &f] {
        let (status, _) = env.call("GET", &format!("/api/loans/{id}"), &other, None).await;
        assert_eq!(status, 404);
    }
    let (_, answer) = env.call("GET", "/api/loans", &other, None).await;
    let their_ids: Vec<String> = answer["data"]["loans"].as_array().unwrap().iter().map(id_of).collect();
    assert_eq!(their_ids, [theirs]);
    // Staff see their own (none) here too.
    let (_, answer) = env.call("GET", "/api/loans", &env.staff, None).await;
    assert_eq!(answer["data"]["pagination"]["total"], 0);
    // An unknown id, and one longer than an id can be.
    let (status, _) = env.call("GET", "/api/loans/la_unknown", user, None).await;
    assert_eq!(status, 404);
    let (status, _) = env
        .call("GET", &format!("/api/loans/{}", "a".repeat(65)), user, None)
        .await;
    assert_eq!(status, 400);
    // The farthest page is still just an empty page.
    let (ids, p) = page(&env, &format!("?page={}", i64::MAX)).await;
    assert!(ids.is_empty());
    assert_eq!((p["page"].as_i64(), p["total"].as_i64()), (Some(i64::MAX), Some(5)));
}

#[tokio::test]
async fn applications_at_the_same_instant_are_ordered_by_id() {
    let env = Env::start("list-ties").await;
    let user = &env.applicant;
    let mut ids = Vec::new();
    for amount in ["1000", "1100", "1200", "1300"] {
        ids.push(id_of(&env.apply(user, application("personal", amount, 6)).await));
    }
    ids.sort();
    ids.reverse();
    assert_eq!(page(&env, "").await.0, ids, "same submitted_at: by id, descending");
}

#[tokio::test]
async fn an_empty_list_has_zero_pages() {
    let env = Env::start("list-empty").await;
    assert_eq!(page(&env, "").await, (vec![], pagination(1, 20, 0, 0, false, false)));
    let (ids, p) = page(&env, "?page=3").await;
    assert_eq!(
        (ids.len(), &p["page"], &p["total"], &p["pages"]),
        (0, &json!(3), &json!(0), &json!(0))
    );
    assert_eq!(p["has_next"], false);
}
