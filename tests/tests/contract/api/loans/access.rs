//! Who may call the loans operations: no token is 401 everywhere; a client token acts for its
//! user within its scope (`loans:read` reads and calculates, `loans:write` applies, cancels
//! and pays, neither implies the other, other scopes do nothing); the `accessToken` cookie
//! works like the bearer header; the staff decision takes no client token.

use meridian::types::LoanApplicationRequest;
use meridian_contract_tests::fixtures::{client_token_with_scopes, client_with_token, failure, request};
use serde_json::{Value, json};

use super::support::{Env, application, id_of, seed_application};

/// Every loans operation on `id` (path, method, body).
fn operations(id: &str) -> Vec<(&'static str, String, Option<Value>)> {
    vec![
        ("POST", "/api/loans/apply".into(), Some(seed_application())),
        ("POST", "/api/loans/calculate".into(), Some(json!({}))),
        ("GET", "/api/loans".into(), None),
        ("GET", format!("/api/loans/{id}"), None),
        ("POST", format!("/api/loans/{id}/cancel"), None),
        ("GET", format!("/api/loans/{id}/schedule"), None),
        (
            "POST",
            format!("/api/loans/{id}/payments"),
            Some(json!({"amount": 100})),
        ),
        (
            "POST",
            format!("/api/admin/loans/{id}/decision"),
            Some(json!({"decision": "approve"})),
        ),
    ]
}

#[tokio::test]
async fn without_a_token_every_operation_is_401() {
    let env = Env::start("access-anonymous").await;
    let id = env.spec_loan().await;
    let before = env.loan(&env.applicant, &id).await;
    for (method, path, body) in operations(&id) {
        let (status, answer) = request(&env.server, method, &path, None, body).await;
        assert_eq!(status, 401, "{method} {path}: {answer}");
        assert_eq!(answer["success"], false);
    }
    // A token that is not one → 401 as well.
    let (status, _) = request(&env.server, "GET", "/api/loans", Some("not-a-token"), None).await;
    assert_eq!(status, 401);
    // The typed SDK without a token.
    let anonymous = env.server.client();
    assert_eq!(failure(anonymous.list_loans(None, None, None).await).0, 401);
    let body: LoanApplicationRequest = serde_json::from_value(seed_application()).unwrap();
    assert_eq!(failure(anonymous.apply_for_loan(None, &body).await).0, 401);
    assert_eq!(failure(anonymous.get_loan(&id.parse().unwrap()).await).0, 401);
    // Nothing happened.
    assert_eq!(env.loan(&env.applicant, &id).await, before);
    let (_, listed) = env.call("GET", "/api/loans", &env.applicant, None).await;
    assert_eq!(listed["data"]["pagination"]["total"], 1);
}

#[tokio::test]
async fn a_loans_read_client_token_reads_but_does_not_write() {
    let env = Env::start("access-read").await;
    let user = &env.applicant;
    let approved = env.spec_loan().await;
    let submitted = id_of(&env.apply(user, application("auto", "8000", 24)).await);
    let reader = client_token_with_scopes(&env.server, user, &["loans:read"]).await;
    let as_reader = |method: &'static str, path: String, body: Option<Value>| {
        let server = &env.server;
        let reader = reader.clone();
        async move { request(server, method, &path, Some(&reader), body).await }
    };

    // Reads: the user's own loans.
    let (status, listed) = as_reader("GET", "/api/loans".into(), None).await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["data"]["pagination"]["total"], 2);
    let (status, loan) = as_reader("GET", format!("/api/loans/{approved}"), None).await;
    assert_eq!(status, 200, "{loan}");
    assert_eq!(loan["data"], env.loan(user, &approved).await);
    let (status, schedule) = as_reader("GET", format!("/api/loans/{approved}/schedule"), None).await;
    assert_eq!(status, 200, "{schedule}");
    assert_eq!(schedule["data"]["installments"].as_array().unwrap().len(), 36);
    let (status, calc) = as_reader(
        "POST",
        "/api/loans/calculate".into(),
        Some(json!({"amount": 10000, "rate": 5.5})),
    )
    .await;
    assert_eq!(status, 200, "{calc}");
    assert_eq!(calc["data"]["monthly_payment"].to_string(), "301.96");
    // The user's score, as the user would see it.
    assert_eq!(
        calc["data"]["credit_score"],
        env.loan(user, &submitted).await["credit_score_at_application"]
    );
    let typed = client_with_token(&env.server, &reader)
        .list_loans(None, None, None)
        .await
        .expect("typed read")
        .into_inner();
    assert_eq!(typed.data.loans.len(), 2);

    // Writes → 403, and nothing changes.
    let before = (env.loan(user, &approved).await, env.loan(user, &submitted).await);
    for (method, path, body) in [
        ("POST", "/api/loans/apply".to_owned(), Some(seed_application())),
        ("POST", format!("/api/loans/{submitted}/cancel"), None),
        (
            "POST",
            format!("/api/loans/{approved}/payments"),
            Some(json!({"amount": 100})),
        ),
        (
            "POST",
            format!("/api/admin/loans/{submitted}/decision"),
            Some(json!({"decision": "reject"})),
        ),
    ] {
        let (status, answer) = as_reader(method, path.clone(), body).await;
        assert_eq!(status, 403, "{method} {path}: {answer}");
    }
    assert_eq!(
        (env.loan(user, &approved).await, env.loan(user, &submitted).await),
        before
    );
    let (_, listed) = env.call("GET", "/api/loans", user, None).await;
    assert_eq!(listed["data"]["pagination"]["total"], 2);
}

#[tokio::test]
async fn a_loans_write_client_token_writes_but_does_not_read() {
    let env = Env::start("access-write").await;
    let user = &env.applicant;
    let writer = client_token_with_scopes(&env.server, user, &["loans:write"]).await;
    let (status, applied) = request(
        &env.server,
        "POST",
        "/api/loans/apply",
        Some(&writer),
        Some(seed_application()),
    )
    .await;
    assert_eq!(status, 201, "{applied}");
    assert_eq!(applied["data"]["user_id"], user.id.as_str(), "for the key's user");
    let id = id_of(&applied["data"]);
    env.at("2024-12-30T16:00:00Z");
    env.approve(&id).await;
    let (status, paid) = request(
        &env.server,
        "POST",
        &format!("/api/loans/{id}/payments"),
        Some(&writer),
        Some(json!({"amount": 100})),
    )
    .await;
    assert_eq!(status, 201, "{paid}");
    let other = id_of(&env.apply(user, application("personal", "3000", 12)).await);
    let (status, cancelled) = request(
        &env.server,
        "POST",
        &format!("/api/loans/{other}/cancel"),
        Some(&writer),
        None,
    )
    .await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(env.loan(user, &other).await["status"], "cancelled");

    for (method, path, body) in [
        ("GET", "/api/loans".to_owned(), None),
        ("GET", format!("/api/loans/{id}"), None),
        ("GET", format!("/api/loans/{id}/schedule"), None),
        ("POST", "/api/loans/calculate".to_owned(), Some(json!({}))),
    ] {
        let (status, answer) = request(&env.server, method, &path, Some(&writer), body).await;
        assert_eq!(status, 403, "{method} {path}: {answer}");
    }
}

#[tokio::test]
async fn client_tokens_without_a_loans_scope_do_nothing() {
    let env = Env::start("access-other-scopes").await;
    let id = env.spec_loan().await;
    let token = client_token_with_scopes(
        &env.server,
        &env.applicant,
        &["trading:read", "trading:write", "credit:read", "credit:write"],
    )
    .await;
    for (method, path, body) in operations(&id) {
        let (status, answer) = request(&env.server, method, &path, Some(&token), body).await;
        assert_eq!(status, 403, "{method} {path}: {answer}");
    }
}

#[tokio::test]
async fn the_access_token_cookie_works_like_the_bearer_header() {
    let env = Env::start("access-cookie").await;
    let id = id_of(&env.apply(&env.applicant, seed_application()).await);
    let response = env
        .server
        .http()
        .get(format!("{}/api/loans/{id}", env.server.url))
        .header("Cookie", format!("accessToken={}", env.applicant.access_token))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"]["id"], id.as_str());
}
