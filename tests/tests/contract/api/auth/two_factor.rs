//! `/api/auth/2fa/*`: TOTP setup, confirmation with recovery codes, login's second step,
//! the standalone check, and disabling with a TOTP or recovery code behind the password
//! (with the login lockout). Codes come from the independent `totp-rs` implementation.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use meridian_contract_tests::TestServer;
use meridian_contract_tests::fixtures::failure;
use meridian_contract_tests::fixtures::{PASSWORD, SignedIn, client_with_token, signed_in_user};
use meridian_contract_tests::sdk_body;
use serde_json::{Value, json};
use totp_rs::{Algorithm, Builder, Secret, Totp};

fn field_of(body: &Value) -> &str {
    body["errors"][0]["field"].as_str().unwrap_or_default()
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// An authenticator app for `secret` (base32): RFC 6238, SHA-1, 6 digits, 30 seconds.
fn authenticator(secret: &str) -> Totp {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_secret(Secret::try_from_base32(secret).expect("base32 secret"))
        .build()
        .expect("an RFC 6238 authenticator")
}

/// The code of `offset` steps from now (−1, 0 or +1 are accepted by the server). Waits out
/// the last seconds of a step first, so the server sees the same current step.
async fn code(totp: &Totp, offset: i64) -> String {
    let into_step = unix_now() % 30;
    if into_step >= 27 {
        tokio::time::sleep(Duration::from_millis((30 - into_step) * 1000 + 200)).await;
    }
    let at = unix_now() as i64 + offset * 30;
    totp.generate(at as u64).to_string()
}

/// A 6-digit code that is valid at no step the server accepts now.
async fn wrong_code(totp: &Totp) -> String {
    let valid = [code(totp, -1).await, code(totp, 0).await, code(totp, 1).await];
    (10..)
        .map(|n| totp.generate(unix_now() + n * 30).to_string())
        .find(|c| !valid.contains(c))
        .expect("some other code")
}

/// Starts setup and confirms it with the code of the previous step: the secret and the
/// recovery codes.
async fn enable(server: &TestServer, user: &SignedIn) -> (Totp, Vec<String>) {
    let client = client_with_token(server, &user.access_token);
    let setup = client.get_2fa_setup().await.expect("setup").into_inner();
    let totp = authenticator(&setup.secret);
    let enabled = client
        .enable_2fa(&sdk_body!({"totp_code": code(&totp, -1).await}))
        .await
        .expect("enable")
        .into_inner();
    let codes = enabled.recovery_codes.iter().map(|c| c.as_str().to_owned()).collect();
    (totp, codes)
}

/// A raw login: status and body.
async fn login(server: &TestServer, body: Value) -> (u16, Value) {
    let response = server
        .http()
        .post(format!("{}/api/auth/login", server.url))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn setup_enable_login_and_disable_with_totp_codes() {
    let server = TestServer::start().await;
    let user = signed_in_user(&server, "totp").await;
    let client = client_with_token(&server, &user.access_token);

    let setup = client.get_2fa_setup().await.expect("setup").into_inner();
    assert!(setup.success);
    let secret = setup.secret.as_str().to_owned();
    assert_eq!(secret.len(), 32, "160 bits in base32");
    assert!(
        secret
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
    );
    let url = setup.otpauth_url.as_str().to_owned();
    assert!(url.starts_with("otpauth://totp/Meridian:"), "{url}");
    for part in [
        format!("secret={secret}"),
        "issuer=Meridian".into(),
        "algorithm=SHA1".into(),
        "digits=6".into(),
        "period=30".into(),
    ] {
        assert!(url.contains(&part), "{url} lacks {part}");
    }
    let totp = authenticator(&secret);

    // A wrong code does not enable anything.
    let (status, body) = failure(
        client
            .enable_2fa(&sdk_body!({"totp_code": wrong_code(&totp).await}))
            .await,
    );
    assert_eq!((status, field_of(&body)), (400, "totp_code"), "{body}");

    let enabled = client
        .enable_2fa(&sdk_body!({"totp_code": code(&totp, -1).await}))
        .await
        .expect("enable")
        .into_inner();
    assert_eq!(enabled.message, "Two-factor authentication enabled");
    let codes: Vec<String> = enabled.recovery_codes.iter().map(|c| c.as_str().to_owned()).collect();
    assert_eq!(codes.len(), 10);
    let unique: std::collections::BTreeSet<&String> = codes.iter().collect();
    assert_eq!(unique.len(), 10);
    for c in &codes {
        let (a, b) = c.split_once('-').expect("xxxxx-xxxxx");
        assert!(a.len() == 5 && b.len() == 5, "{c}");
        assert!(
            c.chars()
                .all(|ch| ch == '-' || ch.is_ascii_lowercase() || ch.is_ascii_digit()),
            "{c}"
        );
    }

    // Already on: both halves of setup answer 409.
    let (status, _) = failure(client.get_2fa_setup().await);
    assert_eq!(status, 409);
    let (status, _) = failure(client.enable_2fa(&sdk_body!({"totp_code": code(&totp, 0).await})).await);
    assert_eq!(status, 409);

    // Login now asks for the code, then accepts it once.
    let (status, body) = login(&server, json!({"email": user.email, "password": PASSWORD})).await;
    assert_eq!(status, 200);
    assert_eq!(body["requires_2fa"], true, "{body}");
    assert!(body.get("tokens").is_none());
    let current = code(&totp, 0).await;
    let (status, body) = login(
        &server,
        json!({"email": user.email, "password": PASSWORD, "totp_code": current}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["tokens"]["access_token"].is_string(), "{body}");
    let (status, _) = login(
        &server,
        json!({"email": user.email, "password": PASSWORD, "totp_code": current}),
    )
    .await;
    assert_eq!(status, 401, "a code is accepted once");

    // Disable: the password and exactly one code.
    let (status, body) = failure(client.disable_2fa(&sdk_body!({"password": PASSWORD})).await);
    assert_eq!((status, field_of(&body)), (400, "totp_code"), "neither: {body}");
    let (status, body) = failure(
        client
            .disable_2fa(
                &sdk_body!({"password": PASSWORD, "totp_code": code(&totp, 1).await, "recovery_code": codes[0]}),
            )
            .await,
    );
    assert_eq!(status, 400, "both: {body}");
    let (status, _) = failure(
        client
            .disable_2fa(&sdk_body!({"password": "WrongPass123!", "totp_code": code(&totp, 1).await}))
            .await,
    );
    assert_eq!(status, 401, "wrong password");
    let (status, body) = failure(
        client
            .disable_2fa(&sdk_body!({"password": PASSWORD, "totp_code": current}))
            .await,
    );
    assert_eq!((status, field_of(&body)), (400, "totp_code"), "a used code: {body}");
    let done = client
        .disable_2fa(&sdk_body!({"password": PASSWORD, "totp_code": code(&totp, 1).await}))
        .await
        .expect("disable")
        .into_inner();
    assert_eq!(done.message, "Two-factor authentication disabled");

    // Off: the check and disable answer 409, login needs no code, the session survived.
    let (status, _) = failure(client.verify_2fa(&sdk_body!({"totp_code": code(&totp, 0).await})).await);
    assert_eq!(status, 409);
    let (status, _) = failure(
        client
            .disable_2fa(&sdk_body!({"password": PASSWORD, "totp_code": code(&totp, 0).await}))
            .await,
    );
    assert_eq!(status, 409);
    let (status, body) = login(&server, json!({"email": user.email, "password": PASSWORD})).await;
    assert_eq!(status, 200);
    assert!(body["tokens"]["access_token"].is_string(), "{body}");
}

#[tokio::test]
async fn recovery_codes_disable_2fa_once_each() {
    let server = TestServer::start().await;
    let user = signed_in_user(&server, "recovery").await;
    let client = client_with_token(&server, &user.access_token);
    let (_, codes) = enable(&server, &user).await;

    // Login spends one code (case-insensitive, hyphen optional) ...
    let spent = codes[0].replace('-', "").to_uppercase();
    let (status, body) = login(
        &server,
        json!({"email": user.email, "password": PASSWORD, "recovery_code": spent}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // ... which then cannot disable 2FA.
    let (status, body) = failure(
        client
            .disable_2fa(&sdk_body!({"password": PASSWORD, "recovery_code": codes[0]}))
            .await,
    );
    assert_eq!((status, field_of(&body)), (400, "recovery_code"), "{body}");
    let (status, body) = failure(
        client
            .disable_2fa(&sdk_body!({"password": PASSWORD, "recovery_code": "zzzzz-zzzzz"}))
            .await,
    );
    assert_eq!((status, field_of(&body)), (400, "recovery_code"), "{body}");
    client
        .disable_2fa(&sdk_body!({"password": PASSWORD, "recovery_code": codes[1].to_uppercase()}))
        .await
        .expect("an unused recovery code disables 2FA");

    // Enabling again issues new codes; the old ones are gone.
    let (_, fresh) = enable(&server, &user).await;
    assert!(fresh.iter().all(|c| !codes.contains(c)));
    let (status, _) = failure(
        client
            .disable_2fa(&sdk_body!({"password": PASSWORD, "recovery_code": codes[2]}))
            .await,
    );
    assert_eq!(status, 400);
    client
        .disable_2fa(&sdk_body!({"password": PASSWORD, "recovery_code": fresh[9]}))
        .await
        .expect("a new code works");
}

#[tokio::test]
async fn enable_needs_a_pending_setup_and_the_latest_secret() {
    let server = TestServer::start().await;
    let user = signed_in_user(&server, "pending").await;
    let client = client_with_token(&server, &user.access_token);

    let (status, body) = failure(client.enable_2fa(&sdk_body!({"totp_code": "123456"})).await);
    assert_eq!(status, 400, "no setup yet: {body}");
    assert!(
        body["message"].as_str().unwrap().contains("GET /api/auth/2fa/enable"),
        "{body}"
    );

    // Each setup replaces the pending secret; only the latest can be confirmed.
    let old = authenticator(&client.get_2fa_setup().await.unwrap().into_inner().secret);
    let new = authenticator(&client.get_2fa_setup().await.unwrap().into_inner().secret);
    let stale = code(&old, 0).await;
    if stale != code(&new, 0).await {
        let (status, body) = failure(client.enable_2fa(&sdk_body!({"totp_code": stale})).await);
        assert_eq!((status, field_of(&body)), (400, "totp_code"), "{body}");
    }
    // A pending secret does not turn login's second step on.
    let (status, body) = login(&server, json!({"email": user.email, "password": PASSWORD})).await;
    assert_eq!(status, 200);
    assert!(body["tokens"].is_object(), "{body}");

    // Malformed codes and bodies are 400s from the schema.
    let raw = |path: &str, body: Value| {
        server
            .http()
            .post(format!("{}{path}", server.url))
            .bearer_auth(&user.access_token)
            .json(&body)
            .send()
    };
    for (path, body) in [
        ("/api/auth/2fa/enable", json!({"totp_code": "12ab56"})),
        ("/api/auth/2fa/enable", json!({"totp_code": "123456", "extra": 1})),
        ("/api/auth/2fa/verify", json!({"totp_code": "1234567"})),
        ("/api/auth/2fa/verify", json!({})),
        ("/api/auth/2fa/disable", json!({"totp_code": "123456"})),
        (
            "/api/auth/2fa/disable",
            json!({"password": PASSWORD, "recovery_code": "abc"}),
        ),
    ] {
        let response = raw(path, body.clone()).await.unwrap();
        assert_eq!(response.status().as_u16(), 400, "{path} {body}");
    }

    client
        .enable_2fa(&sdk_body!({"totp_code": code(&new, 0).await}))
        .await
        .expect("the latest secret confirms");
}

#[tokio::test]
async fn verify_checks_a_code_without_using_it_up() {
    let server = TestServer::start().await;
    let user = signed_in_user(&server, "check").await;
    let client = client_with_token(&server, &user.access_token);

    let (status, body) = failure(client.verify_2fa(&sdk_body!({"totp_code": "123456"})).await);
    assert_eq!(status, 409, "2FA not enabled: {body}");

    let (totp, _) = enable(&server, &user).await;
    let current = code(&totp, 0).await;
    for _ in 0..2 {
        let answer = client
            .verify_2fa(&sdk_body!({"totp_code": current}))
            .await
            .expect("check")
            .into_inner();
        assert!(answer.success && answer.valid);
    }
    let answer = client
        .verify_2fa(&sdk_body!({"totp_code": wrong_code(&totp).await}))
        .await
        .expect("a wrong code is not an error")
        .into_inner();
    assert!(answer.success && !answer.valid);
    // The checked code still logs in.
    let (status, body) = login(
        &server,
        json!({"email": user.email, "password": PASSWORD, "totp_code": current}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["tokens"].is_object(), "{body}");
}

#[tokio::test]
async fn wrong_passwords_on_disable_count_towards_the_lockout() {
    let server = TestServer::start().await;
    let user = signed_in_user(&server, "disable-lock").await;
    let client = client_with_token(&server, &user.access_token);
    let (totp, _) = enable(&server, &user).await;

    for attempt in 1..=4 {
        let (status, _) = failure(
            client
                .disable_2fa(&sdk_body!({"password": "WrongPass123!", "totp_code": code(&totp, 0).await}))
                .await,
        );
        assert_eq!(status, 401, "attempt {attempt}");
    }
    let response = server
        .http()
        .post(format!("{}/api/auth/2fa/disable", server.url))
        .bearer_auth(&user.access_token)
        .json(&json!({"password": "WrongPass123!", "totp_code": code(&totp, 0).await}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 423);
    let retry_after: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1700..=1800).contains(&retry_after), "{retry_after}");

    // Locked: even the right password is refused, here and at login.
    let (status, body) = failure(
        client
            .disable_2fa(&sdk_body!({"password": PASSWORD, "totp_code": code(&totp, 1).await}))
            .await,
    );
    assert_eq!(status, 423, "{body}");
    assert!(body["message"].as_str().unwrap().contains("30 minute(s)"), "{body}");
    let (status, _) = login(
        &server,
        json!({"email": user.email, "password": PASSWORD, "totp_code": code(&totp, 1).await}),
    )
    .await;
    assert_eq!(status, 423);
}

#[tokio::test]
async fn a_wrong_code_counts_toward_the_lockout_even_with_the_right_password() {
    let server = TestServer::start().await;
    let user = signed_in_user(&server, "disable-run").await;
    let client = client_with_token(&server, &user.access_token);
    enable(&server, &user).await;
    for _ in 0..3 {
        let (status, _) = failure(
            client
                .disable_2fa(&sdk_body!({"password": "WrongPass123!", "recovery_code": "zzzzz-zzzzz"}))
                .await,
        );
        assert_eq!(status, 401);
    }
    // Right password, wrong code: a 400 naming the code, and it counts as a failure (as a
    // wrong code at login does), so codes cannot be guessed behind a known password.
    let (status, body) = failure(
        client
            .disable_2fa(&sdk_body!({"password": PASSWORD, "recovery_code": "zzzzz-zzzzz"}))
            .await,
    );
    assert_eq!((status, field_of(&body)), (400, "recovery_code"));
    let (status, _) = failure(
        client
            .disable_2fa(&sdk_body!({"password": PASSWORD, "recovery_code": "zzzzz-zzzzz"}))
            .await,
    );
    assert_eq!(status, 423, "the fifth failure locks the account");
}

#[tokio::test]
async fn two_factor_endpoints_need_a_signed_in_unbanned_user() {
    let server = TestServer::start().await;
    let anonymous = server.client();
    let (s1, _) = failure(anonymous.get_2fa_setup().await);
    let (s2, _) = failure(anonymous.enable_2fa(&sdk_body!({"totp_code": "123456"})).await);
    let (s3, _) = failure(
        anonymous
            .disable_2fa(&sdk_body!({"password": PASSWORD, "totp_code": "123456"}))
            .await,
    );
    let (s4, _) = failure(anonymous.verify_2fa(&sdk_body!({"totp_code": "123456"})).await);
    assert_eq!([s1, s2, s3, s4], [401; 4]);
    let garbage = client_with_token(&server, "not-a-token");
    let (status, _) = failure(garbage.get_2fa_setup().await);
    assert_eq!(status, 401);

    // A banned user's token is refused with 403.
    let user = signed_in_user(&server, "banned").await;
    let mut conn = server.state().db.conn().await.unwrap();
    let mut row = meridian_server::db::users::find(&mut conn, &user.id).await.unwrap();
    row.banned = true;
    meridian_server::db::users::save(&mut conn, &row).await.unwrap();
    drop(conn);
    let banned = client_with_token(&server, &user.access_token);
    let (s1, _) = failure(banned.get_2fa_setup().await);
    let (s2, _) = failure(banned.enable_2fa(&sdk_body!({"totp_code": "123456"})).await);
    let (s3, _) = failure(
        banned
            .disable_2fa(&sdk_body!({"password": PASSWORD, "totp_code": "123456"}))
            .await,
    );
    let (s4, _) = failure(banned.verify_2fa(&sdk_body!({"totp_code": "123456"})).await);
    assert_eq!([s1, s2, s3, s4], [403; 4]);
}

/// Seed 000: the login body with `totpToken` (its name for the code), with and without it.
#[tokio::test]
async fn seed_000_login_with_and_without_the_totp_token() {
    let server = TestServer::start().await;
    let body = json!({"email": "user@example.com", "password": "SecureP@ss123"});
    server
        .http()
        .post(format!("{}/api/auth/register", server.url))
        .json(&body)
        .send()
        .await
        .unwrap();
    let user = meridian_contract_tests::fixtures::login(&server, "user@example.com", "SecureP@ss123").await;
    let (totp, _) = enable(&server, &user).await;
    let (status, reply) = login(&server, body.clone()).await;
    assert_eq!((status, reply["requires_2fa"].clone()), (200, json!(true)), "{reply}");
    assert!(reply.get("tokens").is_none());
    let mut with_code = body;
    with_code["totpToken"] = json!(code(&totp, 0).await);
    let (status, reply) = login(&server, with_code).await;
    assert_eq!(status, 200, "{reply}");
    assert!(reply["tokens"]["access_token"].as_str().is_some());
}
