//! `/api/auth/verify-email`, `/resend-verification`, `/verification-status`,
//! `/forgot-password`, `/reset-password`: single-use expiring tokens read from the file
//! mailer, superseded by newer ones; no enumeration of accounts (except the documented 404
//! of verification-status); a reset ends every session and clears the lockout.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use meridian_contract_tests::TestServer;
use meridian_contract_tests::fixtures::{PASSWORD, client_with_token, login, read_mail, register, unique_email};
use meridian_contract_tests::fixtures::{failure, post_json};
use meridian_contract_tests::sdk_body;
use serde_json::{Value, json};

/// Seconds since the Unix epoch.
fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// A raw GET through the validating proxy.
async fn get(server: &TestServer, path_and_query: &str) -> (u16, Value) {
    let response = server
        .http()
        .get(format!("{}{path_and_query}", server.url))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// How many messages of `kind` the file mailer wrote to `to`.
fn mail_count(server: &TestServer, to: &str, kind: &str) -> usize {
    std::fs::read_dir(server.mail_dir())
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| entry.file_name().to_string_lossy().ends_with(".json"))
        .filter_map(|entry| std::fs::read_to_string(entry.path()).ok())
        .filter_map(|text| serde_json::from_str::<Value>(&text).ok())
        .filter(|m| m["to"] == to && m["kind"] == kind)
        .count()
}

/// The token of the newest message of `kind` to `to`.
async fn mailed_token(server: &TestServer, to: &str, kind: &str) -> String {
    read_mail(server, to, kind).await["token"]
        .as_str()
        .expect("the message carries a token")
        .to_owned()
}

/// The verification status of `email` through the SDK.
async fn status_of(server: &TestServer, email: &str) -> meridian::types::VerificationStatusResponse {
    server
        .client()
        .get_verification_status(&email.parse().expect("valid email parameter"))
        .await
        .expect("verification status")
        .into_inner()
}

fn field_of(body: &Value) -> &str {
    body["errors"][0]["field"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn verify_email_activates_the_account_and_the_token_works_once() {
    let server = TestServer::start().await;
    let email = unique_email("verify");
    let id = register(&server, &email, PASSWORD).await;
    let token = mailed_token(&server, &email, "verify_email").await;

    let pending = status_of(&server, &email).await;
    assert!(!pending.is_verified);
    assert_eq!(pending.status.to_string(), "pending");
    assert!(pending.verified_at.is_none());
    let expires = pending.token_expires_at.expect("a token was issued");
    let left = expires.timestamp() - unix_now();
    assert!((86_000..=86_400).contains(&left), "24 hours: {left}");
    assert!((86_000..=86_400).contains(&pending.time_remaining_seconds));

    let verified = server
        .client()
        .verify_email(&sdk_body!({"token": token}))
        .await
        .expect("the mailed token verifies")
        .into_inner();
    assert!(verified.success);
    assert_eq!(verified.message, "Email verified successfully");
    assert_eq!(
        (verified.user_id.as_str(), verified.email.as_str()),
        (id.as_str(), email.as_str())
    );

    let status = status_of(&server, &email.to_uppercase()).await;
    assert!(status.is_verified, "looked up case-insensitively");
    assert_eq!(status.status.to_string(), "verified");
    let at = status.verified_at.expect("verified_at is set");
    assert!(unix_now() - at.timestamp() < 60);
    assert_eq!(status.time_remaining_seconds, 0);
    assert_eq!(status.token_expires_at, Some(expires), "kept after use");

    // Login now reports the account active.
    let signed_in = login(&server, &email, PASSWORD).await;
    let (_, me) = post_json(
        &server,
        "/api/auth/login",
        json!({"email": signed_in.email, "password": PASSWORD}),
    )
    .await;
    assert_eq!(me["user"]["status"], "active");

    // Single use.
    let (status, body) = failure(server.client().verify_email(&sdk_body!({"token": token})).await);
    assert_eq!(status, 400, "{body}");
    assert_eq!(field_of(&body), "token");
    let (status, _) = failure(
        server
            .client()
            .verify_email(&sdk_body!({"token": "no-such-token"}))
            .await,
    );
    assert_eq!(status, 400);
}

#[tokio::test]
async fn expired_verification_tokens_are_refused_and_reported() {
    let server = TestServer::start().await;
    let email = unique_email("expired");
    let id = register(&server, &email, PASSWORD).await;
    // Issue a newer token that has already expired: it supersedes the registration's token.
    // Times are reckoned from that token's expiry (24 hours after registration).
    let day_ahead = status_of(&server, &email).await.token_expires_at.unwrap().naive_utc();
    let hours = |n: u64| Duration::from_secs(n * 3600);
    let token = "expired-token-for-the-contract-test".to_owned();
    let mut conn = server.state().db.conn().await.unwrap();
    meridian_server::db::one_time_tokens::insert(
        &mut conn,
        &meridian_server::auth::secret::digest(&token),
        &id,
        "verify_email",
        day_ahead - hours(24) + Duration::from_secs(1),
        day_ahead - hours(25),
    )
    .await
    .unwrap();
    drop(conn);

    let status = status_of(&server, &email).await;
    assert!(!status.is_verified);
    assert_eq!(status.status.to_string(), "expired");
    assert_eq!(status.time_remaining_seconds, 0);
    assert!(status.token_expires_at.unwrap().timestamp() < unix_now());

    let (code, body) = failure(server.client().verify_email(&sdk_body!({"token": token})).await);
    assert_eq!(code, 400, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("resend-verification"),
        "{body}"
    );
    // The registration's token was superseded too.
    let original = mailed_token(&server, &email, "verify_email").await;
    let (code, _) = failure(server.client().verify_email(&sdk_body!({"token": original})).await);
    assert_eq!(code, 400);
}

#[tokio::test]
async fn resend_supersedes_earlier_tokens_and_keeps_a_cooldown() {
    let server = TestServer::start().await;
    let email = unique_email("resend");
    register(&server, &email, PASSWORD).await;
    let first = mailed_token(&server, &email, "verify_email").await;

    let sent = server
        .client()
        .resend_verification(&sdk_body!({"email": email.to_uppercase()}))
        .await
        .expect("resend")
        .into_inner();
    assert!(sent.success);
    assert_eq!(sent.retry_after, 60, "60 right after a send");
    assert_eq!(mail_count(&server, &email, "verify_email"), 2);
    let second = mailed_token(&server, &email, "verify_email").await;
    assert_ne!(first, second);

    // Within the cooldown nothing is sent and retry_after counts down.
    let again = server
        .client()
        .resend_verification(&sdk_body!({"email": email}))
        .await
        .expect("resend")
        .into_inner();
    assert!((1..=60).contains(&again.retry_after), "{}", again.retry_after);
    assert_eq!(again.message, sent.message);
    assert_eq!(mail_count(&server, &email, "verify_email"), 2);

    // The earlier token stopped working; the new one works.
    let (status, body) = failure(server.client().verify_email(&sdk_body!({"token": first})).await);
    assert_eq!(status, 400, "superseded: {body}");
    server
        .client()
        .verify_email(&sdk_body!({"token": second}))
        .await
        .expect("the newest token verifies");
}

#[tokio::test]
async fn resend_answers_the_same_for_unknown_and_verified_addresses() {
    let server = TestServer::start().await;
    let unknown = unique_email("nobody");
    let answer = server
        .client()
        .resend_verification(&sdk_body!({"email": unknown}))
        .await
        .expect("resend for an unknown address")
        .into_inner();
    assert!(answer.success);
    assert_eq!(answer.retry_after, 60);
    assert_eq!(
        answer.message,
        "If an unverified account uses this email, a new verification message has been sent."
    );
    assert_eq!(mail_count(&server, &unknown, "verify_email"), 0);
    // The cooldown is kept for unknown addresses too, so it reveals nothing.
    let again = server
        .client()
        .resend_verification(&sdk_body!({"email": unknown}))
        .await
        .unwrap()
        .into_inner();
    assert!((1..=60).contains(&again.retry_after), "{}", again.retry_after);

    // A verified account: same answer, no message.
    let email = unique_email("verified");
    register(&server, &email, PASSWORD).await;
    let token = mailed_token(&server, &email, "verify_email").await;
    server
        .client()
        .verify_email(&sdk_body!({"token": token}))
        .await
        .unwrap();
    let verified = server
        .client()
        .resend_verification(&sdk_body!({"email": email}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((verified.retry_after, verified.message), (60, answer.message));
    assert_eq!(mail_count(&server, &email, "verify_email"), 1);

    // Malformed requests.
    let (status, body) = post_json(
        &server,
        "/api/auth/resend-verification",
        json!({"email": "not-an-email"}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(field_of(&body), "email");
    let (status, body) = post_json(
        &server,
        "/api/auth/resend-verification",
        json!({"email": unknown, "extra": 1}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn verification_status_404s_unknown_emails_and_400s_bad_ones() {
    let server = TestServer::start().await;
    let (status, body) = failure(
        server
            .client()
            .get_verification_status(&unique_email("ghost").parse().unwrap())
            .await,
    );
    assert_eq!(status, 404, "{body}");
    let (status, body) = get(&server, "/api/auth/verification-status").await;
    assert_eq!(status, 400, "missing email: {body}");
    assert_eq!(field_of(&body), "email");
    let (status, body) = get(&server, "/api/auth/verification-status?email=not-an-email").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(field_of(&body), "email");
    let long = format!("{}@example.com", "a".repeat(250));
    let (status, _) = get(&server, &format!("/api/auth/verification-status?email={long}")).await;
    assert_eq!(status, 400, "over 254 characters");
}

#[tokio::test]
async fn verify_email_refuses_malformed_bodies() {
    let server = TestServer::start().await;
    for body in [
        json!({}),
        json!({"token": ""}),
        json!({"token": "x", "extra": true}),
        json!("x"),
    ] {
        let (status, answer) = post_json(&server, "/api/auth/verify-email", body.clone()).await;
        assert_eq!(status, 400, "{body}: {answer}");
    }
}

#[tokio::test]
async fn reset_password_ends_every_session_clears_the_lockout_and_works_once() {
    let server = TestServer::start().await;
    let email = unique_email("reset");
    register(&server, &email, PASSWORD).await;
    let session = login(&server, &email, PASSWORD).await;
    // Lock the account with five wrong passwords.
    for _ in 0..5 {
        post_json(
            &server,
            "/api/auth/login",
            json!({"email": email, "password": "WrongPass123!"}),
        )
        .await;
    }
    let (status, _) = post_json(
        &server,
        "/api/auth/login",
        json!({"email": email, "password": PASSWORD}),
    )
    .await;
    assert_eq!(status, 423);

    let ack = server
        .client()
        .forgot_password(&sdk_body!({"email": email.to_uppercase()}))
        .await
        .expect("forgot password")
        .into_inner();
    assert_eq!(
        ack.message,
        "If an account uses this email, a password reset link has been sent."
    );
    let token = mailed_token(&server, &email, "reset_password").await;

    // A password breaking the policy is refused without using the token up.
    let (status, body) = failure(
        server
            .client()
            .reset_password(&sdk_body!({"token": token, "password": "alllowercase1!"}))
            .await,
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(field_of(&body), "password");

    let new_password = "NewSecurePass456!";
    let done = server
        .client()
        .reset_password(&sdk_body!({"token": token, "password": new_password}))
        .await
        .expect("reset")
        .into_inner();
    assert!(done.success);
    assert_eq!(
        done.message,
        "Password reset successfully. Please log in with your new password."
    );

    // Every session ended: the access token and the refresh token are dead.
    let (status, _) = failure(client_with_token(&server, &session.access_token).logout().await);
    assert_eq!(status, 401);
    let (status, _) = post_json(
        &server,
        "/api/auth/refresh",
        json!({"refresh_token": session.refresh_token}),
    )
    .await;
    assert_eq!(status, 401);
    // The lockout is cleared; the old password no longer works, the new one does.
    let (status, _) = post_json(
        &server,
        "/api/auth/login",
        json!({"email": email, "password": PASSWORD}),
    )
    .await;
    assert_eq!(status, 401);
    login(&server, &email, new_password).await;

    // The token works once.
    let (status, body) = failure(
        server
            .client()
            .reset_password(&sdk_body!({"token": token, "password": "Another#Pass789"}))
            .await,
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(field_of(&body), "token");
}

#[tokio::test]
async fn forgot_password_never_reveals_accounts_and_newer_tokens_supersede() {
    let server = TestServer::start().await;
    let email = unique_email("forgot");
    register(&server, &email, PASSWORD).await;
    let unknown = unique_email("nobody");
    let (s1, known) = post_json(&server, "/api/auth/forgot-password", json!({"email": email})).await;
    let (s2, other) = post_json(&server, "/api/auth/forgot-password", json!({"email": unknown})).await;
    assert_eq!((s1, s2), (200, 200));
    assert_eq!(known, other, "the same body either way");
    assert_eq!(mail_count(&server, &unknown, "reset_password"), 0);
    let first = mailed_token(&server, &email, "reset_password").await;

    server
        .client()
        .forgot_password(&sdk_body!({"email": email}))
        .await
        .expect("a second request");
    assert_eq!(mail_count(&server, &email, "reset_password"), 2);
    let second = mailed_token(&server, &email, "reset_password").await;
    assert_ne!(first, second);
    let (status, body) = failure(
        server
            .client()
            .reset_password(&sdk_body!({"token": first, "password": "NewSecurePass456!"}))
            .await,
    );
    assert_eq!((status, field_of(&body)), (400, "token"), "superseded: {body}");
    server
        .client()
        .reset_password(&sdk_body!({"token": second, "password": "NewSecurePass456!"}))
        .await
        .expect("the newest token works");

    // Malformed requests.
    let (status, body) = post_json(&server, "/api/auth/forgot-password", json!({"email": "nope"})).await;
    assert_eq!((status, field_of(&body)), (400, "email"), "{body}");
    let (status, body) = post_json(&server, "/api/auth/reset-password", json!({"token": "x"})).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = post_json(
        &server,
        "/api/auth/reset-password",
        json!({"token": "x", "password": "short"}),
    )
    .await;
    assert_eq!((status, field_of(&body)), (400, "password"), "{body}");
}

#[tokio::test]
async fn the_resend_cooldown_is_shared_by_replicas_through_redis() {
    use meridian_contract_tests::server::{redis_url, services_required, unique_name};
    let Some(redis) = redis_url() else {
        assert!(!services_required(), "CI must provide REDIS_URL");
        eprintln!("skipped: REDIS_URL not set");
        return;
    };
    let prefix = unique_name("resend");
    let a = TestServer::builder().redis(&redis, &prefix).start().await;
    let b = TestServer::builder().redis(&redis, &prefix).start().await;
    let address = unique_email("shared");
    let first = a
        .client()
        .resend_verification(&sdk_body!({"email": address}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.retry_after, 60);
    let second = b
        .client()
        .resend_verification(&sdk_body!({"email": address}))
        .await
        .unwrap()
        .into_inner();
    assert!(
        (1..=60).contains(&second.retry_after),
        "the other replica sees the cooldown: {}",
        second.retry_after
    );
}
