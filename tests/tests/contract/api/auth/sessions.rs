//! `/api/auth/register`, `/login`, `/logout`, `/refresh`: seed 003's shapes, lockout, and the
//! cookie of seed 000. Refused, revoked and replayed tokens (logout, refresh reuse) and login
//! enumeration are in `attacks.rs`.

use meridian_contract_tests::TestServer;
use meridian_contract_tests::fixtures::post_json;
use meridian_contract_tests::fixtures::{PASSWORD, login, register, signed_in_user, unique_email};
use serde_json::{Value, json};

#[tokio::test]
async fn register_answers_seed_003s_201_shape() {
    let server = TestServer::start().await;
    let email = unique_email("reg");
    let (status, body) = post_json(
        &server,
        "/api/auth/register",
        json!({"email": email, "password": "SecurePass123!"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["success"], true);
    assert_eq!(body["user"]["email"], email.as_str());
    assert_eq!(body["user"]["status"], "pending");
    assert!(body["user"]["id"].as_str().unwrap().starts_with("user-"));
    assert!(body["user"]["created_at"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn register_refuses_duplicates_case_insensitively_and_weak_passwords() {
    let server = TestServer::start().await;
    let email = unique_email("dup");
    register(&server, &email, PASSWORD).await;
    let (status, body) = post_json(
        &server,
        "/api/auth/register",
        json!({"email": email.to_uppercase(), "password": PASSWORD}),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    let (status, body) = post_json(
        &server,
        "/api/auth/register",
        json!({"email": unique_email("weak"), "password": "weakpassword"}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errors"][0]["field"], "password");
    assert!(body["message"].as_str().unwrap().contains("uppercase"), "{body}");
    let (status, body) = post_json(
        &server,
        "/api/auth/register",
        json!({"email": "not-an-email", "password": PASSWORD}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errors"][0]["field"], "email");
    let long = format!("Aa1!{}", "x".repeat(124));
    let (status, body) = post_json(
        &server,
        "/api/auth/register",
        json!({"email": unique_email("long"), "password": long}),
    )
    .await;
    assert_eq!(status, 201, "a 128-character password is accepted: {body}");
}

#[tokio::test]
async fn login_answers_tokens_and_sets_cookies() {
    let server = TestServer::start().await;
    let email = unique_email("login");
    register(&server, &email, PASSWORD).await;
    let response = server
        .http()
        .post(format!("{}/api/auth/login", server.url))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let cookies: Vec<String> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("accessToken=") && c.contains("HttpOnly")),
        "{cookies:?}"
    );
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("refreshToken=") && c.contains("HttpOnly")),
        "{cookies:?}"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["message"], "Login successful");
    assert_eq!(body["tokens"]["token_type"], "Bearer");
    assert_eq!(body["tokens"]["expires_in"], 900);
    assert_eq!(body["user"]["status"], "pending");
    // The cookie alone authenticates (seed 000).
    let access = cookies.iter().find(|c| c.starts_with("accessToken=")).unwrap();
    let cookie = access.split(';').next().unwrap();
    let me = server
        .http()
        .post(format!("{}/api/auth/logout", server.url))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
}

#[tokio::test]
async fn five_failures_lock_the_account_with_seed_000s_text() {
    let server = TestServer::start().await;
    let email = unique_email("lock");
    register(&server, &email, PASSWORD).await;
    for n in 1..=4 {
        let (status, _) = post_json(
            &server,
            "/api/auth/login",
            json!({"email": email, "password": "WrongPass123!"}),
        )
        .await;
        assert_eq!(status, 401, "attempt {n}");
    }
    let response = server
        .http()
        .post(format!("{}/api/auth/login", server.url))
        .json(&json!({"email": email, "password": "WrongPass123!"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 423);
    let retry_after: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1700..=1800).contains(&retry_after), "{retry_after}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["message"],
        "Account is locked due to multiple failed login attempts. Please try again in 30 minute(s)."
    );
    // Even the right password is refused while locked, without saying it was right.
    let (status, body) = post_json(
        &server,
        "/api/auth/login",
        json!({"email": email, "password": PASSWORD}),
    )
    .await;
    assert_eq!(status, 423, "{body}");
}

#[tokio::test]
async fn a_success_resets_the_failure_count() {
    let server = TestServer::start().await;
    let email = unique_email("reset");
    register(&server, &email, PASSWORD).await;
    for _ in 0..4 {
        post_json(
            &server,
            "/api/auth/login",
            json!({"email": email, "password": "WrongPass123!"}),
        )
        .await;
    }
    login(&server, &email, PASSWORD).await;
    for _ in 0..4 {
        let (status, _) = post_json(
            &server,
            "/api/auth/login",
            json!({"email": email, "password": "WrongPass123!"}),
        )
        .await;
        assert_eq!(status, 401);
    }
}

#[tokio::test]
async fn refresh_reads_the_cookie_when_the_body_has_no_token() {
    let server = TestServer::start().await;
    let user = signed_in_user(&server, "cookie").await;
    let response = server
        .http()
        .post(format!("{}/api/auth/refresh", server.url))
        .header("cookie", format!("refreshToken={}", user.refresh_token))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (status, body) = post_json(&server, "/api/auth/refresh", json!({})).await;
    assert_eq!(status, 401, "{body}");
}

#[tokio::test]
async fn a_wrong_password_with_a_valid_token_is_not_an_invalid_token() {
    // A client that refreshes its session on `invalid_token` must not resend a wrong
    // password (each resend would count towards the lockout).
    let server = TestServer::start().await;
    let user = signed_in_user(&server, "wrongpw").await;
    let response = server
        .http()
        .put(format!("{}/api/users/me/password", server.url))
        .bearer_auth(&user.access_token)
        .json(&json!({"oldPassword": "WrongPass123!", "newPassword": "OtherPass123!"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["www-authenticate"], "Bearer realm=\"meridian\"");
}

#[tokio::test]
async fn login_bodies_are_validated_field_by_field() {
    let server = TestServer::start().await;
    let (status, body) = post_json(&server, "/api/auth/login", json!({"email": "a@example.com"})).await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["field"], "password", "{body}");
    let (status, body) = post_json(
        &server,
        "/api/auth/login",
        json!({"email": "a@example.com", "password": "x", "pasword": "y"}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["field"], "pasword", "{body}");
    let big = "x".repeat(70_000);
    let (status, _) = post_json(
        &server,
        "/api/auth/login",
        json!({"email": "a@example.com", "password": big}),
    )
    .await;
    assert_eq!(status, 413);
}

#[tokio::test]
async fn refresh_refuses_malformed_bodies_and_banned_accounts() {
    let server = TestServer::start().await;
    let (status, body) = post_json(&server, "/api/auth/refresh", json!({"refresh_token": ""})).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = post_json(&server, "/api/auth/refresh", json!({"refreshToken": "x"})).await;
    assert_eq!(
        (status, body["errors"][0]["field"].clone()),
        (400, json!("refreshToken"))
    );
    // Banned since login: the refresh is a 403, not a bare 401.
    let user = signed_in_user(&server, "banned").await;
    let admin = signed_in_user(&server, "banner").await;
    meridian_contract_tests::fixtures::set_role(&server, &admin.id, "admin").await;
    let response = server
        .http()
        .patch(format!("{}/api/admin/users/{}", server.url, user.id))
        .bearer_auth(&admin.access_token)
        .json(&json!({"banned": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let (status, body) = post_json(
        &server,
        "/api/auth/refresh",
        json!({"refresh_token": user.refresh_token}),
    )
    .await;
    assert_eq!(status, 403, "{body}");
}
