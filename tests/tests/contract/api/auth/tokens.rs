//! `POST /api/auth` (Bloq's account token from HTTP Basic, with lockout, bans and 2FA) and
//! `POST /api/auth/token` (Bloq's `clientCredentials` and `refreshToken` grants, camelCase).

use meridian_contract_tests::TestServer;
use meridian_contract_tests::fixtures::create_key;
use meridian_contract_tests::fixtures::{PASSWORD, client_with_token, signed_in_user};
use serde_json::{Value, json};

/// `Basic base64(user:password)`, as reqwest builds it.
fn basic(user: &str, password: &str) -> String {
    let request = reqwest::Client::new()
        .get("http://localhost/")
        .basic_auth(user, Some(password))
        .build()
        .unwrap();
    request.headers()["authorization"].to_str().unwrap().to_owned()
}

/// `POST /api/auth` with an `Authorization` header (and optional `X-TOTP-Code`).
async fn account_token(
    server: &TestServer,
    authorization: Option<&str>,
    totp: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut request = server.http().post(format!("{}/api/auth", server.url));
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    if let Some(code) = totp {
        request = request.header("x-totp-code", code);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.json().await.unwrap_or(Value::Null))
}

/// `POST /api/auth/token` with a raw JSON body.
async fn grant(server: &TestServer, body: Value) -> (u16, Value) {
    let response = server
        .http()
        .post(format!("{}/api/auth/token", server.url))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Status of `GET /api/users/me/client-keys` with `token`: 200 user, 403 live client token,
/// 401 dead token.
async fn probe(server: &TestServer, token: &str) -> u16 {
    server
        .http()
        .get(format!("{}/api/users/me/client-keys", server.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn update_user(server: &TestServer, id: &str, change: impl FnOnce(&mut meridian_server::db::users::UserRow)) {
    let mut conn = server.state().db.conn().await.unwrap();
    let mut row = meridian_server::db::users::find(&mut conn, id).await.unwrap();
    change(&mut row);
    meridian_server::db::users::save(&mut conn, &row).await.unwrap();
}

#[tokio::test]
async fn basic_credentials_give_a_12_hour_account_token() {
    let server = TestServer::start().await;
    let user = signed_in_user(&server, "acct").await;
    // Through the SDK, with the email in another case.
    let http = reqwest::Client::builder()
        .default_headers(
            [(
                reqwest::header::AUTHORIZATION,
                basic(&user.email.to_uppercase(), PASSWORD).parse().unwrap(),
            )]
            .into_iter()
            .collect(),
        )
        .build()
        .unwrap();
    let sdk = meridian::GeneratedClient::new_with_client(&server.url, http, meridian::Runtime::default());
    let answer = sdk
        .create_account_token(None)
        .await
        .expect("account token")
        .into_inner();
    let body = serde_json::to_value(&answer).unwrap();
    assert_eq!(body["tokenType"], "Bearer");
    assert_eq!(body["expiresIn"], 43200);
    let token = answer.access_token;
    assert_eq!(
        probe(&server, &token).await,
        200,
        "an account token manages the account"
    );
    // The user id works as the login too; the password is everything after the first colon.
    let (code, _, body) = account_token(&server, Some(&basic(&user.id, PASSWORD)), None).await;
    assert_eq!(code, 200, "{body}");
    // Logout with the account token revokes it.
    let out = server
        .http()
        .post(format!("{}/api/auth/logout", server.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 200);
    assert_eq!(probe(&server, &token).await, 401);
}

#[tokio::test]
async fn account_token_refuses_bad_credentials_bans_and_locks() {
    let server = TestServer::start().await;
    let user = signed_in_user(&server, "acct-bad").await;
    let error = server.client().create_account_token(None).await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(401));
    let (code, headers, _) = account_token(&server, None, None).await;
    assert_eq!(code, 401);
    assert_eq!(headers["www-authenticate"], "Basic realm=\"meridian\"");
    // Not base64; base64 of `no-colon`.
    for malformed in ["Basic !!!not-base64!!!", "Basic bm8tY29sb24="] {
        let (code, _, body) = account_token(&server, Some(malformed), None).await;
        assert_eq!(code, 400, "{malformed}: {body}");
    }
    let (code, _, body) = account_token(&server, Some(&basic(&user.email, PASSWORD)), Some("12ab")).await;
    assert_eq!(code, 400, "a malformed X-TOTP-Code: {body}");
    let (code, _, _) = account_token(&server, Some(&basic("nobody@example.com", PASSWORD)), None).await;
    assert_eq!(code, 401);

    // Banned: 403 after the right password.
    let banned = signed_in_user(&server, "acct-banned").await;
    update_user(&server, &banned.id, |u| u.banned = true).await;
    let (code, _, body) = account_token(&server, Some(&basic(&banned.email, PASSWORD)), None).await;
    assert_eq!(code, 403, "{body}");

    // Five wrong passwords lock the account (login's lockout): 423 even with the right one.
    for attempt in 1..=5 {
        let (code, headers, body) = account_token(&server, Some(&basic(&user.email, "WrongPass123!")), None).await;
        if attempt < 5 {
            assert_eq!(code, 401, "attempt {attempt}: {body}");
            assert_eq!(headers["www-authenticate"], "Basic realm=\"meridian\"");
        } else {
            assert_eq!(code, 423, "attempt {attempt}: {body}");
        }
    }
    let (code, headers, _) = account_token(&server, Some(&basic(&user.email, PASSWORD)), None).await;
    assert_eq!(code, 423);
    assert!(headers.contains_key("retry-after"));
}

#[tokio::test]
async fn two_factor_accounts_need_a_current_totp_code() {
    let server = TestServer::start().await;
    let user = signed_in_user(&server, "acct-2fa").await;
    let secret = meridian_server::auth::totp::generate_secret();
    let stored = secret.clone();
    update_user(&server, &user.id, move |u| {
        u.totp_secret = Some(stored);
        u.totp_enabled = true;
    })
    .await;
    let credentials = basic(&user.email, PASSWORD);
    let (code, headers, body) = account_token(&server, Some(&credentials), None).await;
    assert_eq!(code, 401, "no code: {body}");
    assert_eq!(headers["www-authenticate"], "Basic realm=\"meridian\"");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let step = now / meridian_server::auth::totp::STEP_SECS;
    let code_now = meridian_server::auth::totp::code_at(&secret, step).unwrap();
    let wrong = if code_now == "000000" { "111111" } else { "000000" };
    let (code, _, _) = account_token(&server, Some(&credentials), Some(wrong)).await;
    assert_eq!(code, 401, "a wrong code");
    let code_typed: meridian::types::CreateAccountTokenXTotpCode = code_now.parse().unwrap();
    let http = reqwest::Client::builder()
        .default_headers(
            [(reqwest::header::AUTHORIZATION, credentials.parse().unwrap())]
                .into_iter()
                .collect(),
        )
        .build()
        .unwrap();
    let sdk = meridian::GeneratedClient::new_with_client(&server.url, http, meridian::Runtime::default());
    let answer = sdk
        .create_account_token(Some(&code_typed))
        .await
        .expect("with the code");
    assert!(!answer.into_inner().access_token.is_empty());
    let (code, _, _) = account_token(&server, Some(&credentials), Some(&code_now)).await;
    assert_eq!(code, 401, "a code works once");
}

#[tokio::test]
async fn bloq_grants_issue_client_tokens_within_the_key_scopes() {
    let server = TestServer::start().await;
    let user = signed_in_user(&server, "grant").await;
    let key = create_key(
        &server,
        &user.access_token,
        json!({"scopes": ["trading:read", "credit:read", "loans:write"]}),
    )
    .await;
    let request: meridian::types::ClientTokenRequest = serde_json::from_value(json!({
        "grantType": "clientCredentials",
        "clientId": key["clientId"],
        "clientSecret": key["clientSecret"],
    }))
    .unwrap();
    let tokens = server
        .client()
        .create_client_token(&request)
        .await
        .expect("grant")
        .into_inner();
    let body = serde_json::to_value(&tokens).unwrap();
    assert_eq!(body["tokenType"], "Bearer");
    assert_eq!(body["expiresIn"], 3600);
    assert_eq!(body["scope"], "trading:read credit:read loans:write");
    assert_eq!(
        probe(&server, &tokens.access_token).await,
        403,
        "client tokens never act on accounts"
    );

    // Narrowed scope.
    let (code, narrowed) = grant(
        &server,
        json!({"grantType": "clientCredentials", "clientId": key["clientId"], "clientSecret": key["clientSecret"], "scope": "credit:read trading:read"}),
    )
    .await;
    assert_eq!(code, 200, "{narrowed}");
    assert_eq!(narrowed["scope"], "trading:read credit:read");

    // The refresh grant: a new access token, the same refresh token (no rotation), usable again.
    for _ in 0..2 {
        let (code, refreshed) = grant(
            &server,
            json!({"grantType": "refreshToken", "refreshToken": tokens.refresh_token}),
        )
        .await;
        assert_eq!(code, 200, "{refreshed}");
        assert_eq!(refreshed["refreshToken"], tokens.refresh_token.as_str());
        assert_ne!(refreshed["accessToken"], tokens.access_token.as_str());
        assert_eq!(refreshed["scope"], "trading:read credit:read loans:write");
    }
    let (code, refreshed) = grant(
        &server,
        json!({"grantType": "refreshToken", "refreshToken": narrowed["refreshToken"], "scope": "credit:read"}),
    )
    .await;
    assert_eq!(code, 200, "{refreshed}");
    assert_eq!(refreshed["scope"], "credit:read");
    let (code, body) = grant(
        &server,
        json!({"grantType": "refreshToken", "refreshToken": narrowed["refreshToken"], "scope": "loans:write"}),
    )
    .await;
    assert_eq!(code, 400, "outside the refresh token's scopes: {body}");
}

#[tokio::test]
async fn bloq_grants_refuse_bad_requests_and_credentials() {
    let server = TestServer::start().await;
    let user = signed_in_user(&server, "grant-bad").await;
    let key = create_key(&server, &user.access_token, json!({"scopes": ["trading:read"]})).await;
    let (id, secret) = (key["clientId"].clone(), key["clientSecret"].clone());
    for body in [
        json!({"grantType": "password", "clientId": id, "clientSecret": secret}),
        json!({"grantType": "clientCredentials", "clientId": id}),
        json!({"grantType": "clientCredentials", "clientSecret": secret}),
        json!({"grantType": "clientCredentials", "clientId": id, "clientSecret": secret, "refreshToken": "x"}),
        json!({"grantType": "refreshToken"}),
        json!({"grantType": "refreshToken", "refreshToken": "x", "clientSecret": secret}),
        json!({"grantType": "clientCredentials", "clientId": id, "clientSecret": secret, "scope": "loans:write"}),
        json!({"grantType": "clientCredentials", "clientId": id, "clientSecret": secret, "extra": 1}),
        json!({"grantType": "clientCredentials", "client_id": id, "client_secret": secret}),
    ] {
        let (code, answer) = grant(&server, body.clone()).await;
        assert_eq!(code, 400, "{body} → {answer}");
    }
    let wrong = "0".repeat(80);
    for body in [
        json!({"grantType": "clientCredentials", "clientId": id, "clientSecret": wrong}),
        json!({"grantType": "clientCredentials", "clientId": "f".repeat(40), "clientSecret": secret}),
        json!({"grantType": "refreshToken", "refreshToken": "not-a-refresh-token"}),
    ] {
        let (code, answer) = grant(&server, body.clone()).await;
        assert_eq!(code, 401, "{body} → {answer}");
    }
    let (code, tokens) = grant(
        &server,
        json!({"grantType": "clientCredentials", "clientId": id, "clientSecret": secret}),
    )
    .await;
    assert_eq!(code, 200);
    // A banned owner: 403.
    update_user(&server, &user.id, |u| u.banned = true).await;
    let (code, answer) = grant(
        &server,
        json!({"grantType": "clientCredentials", "clientId": id, "clientSecret": secret}),
    )
    .await;
    assert_eq!(code, 403, "{answer}");
    let (code, answer) = grant(
        &server,
        json!({"grantType": "refreshToken", "refreshToken": tokens["refreshToken"]}),
    )
    .await;
    assert_eq!(code, 403, "{answer}");
    update_user(&server, &user.id, |u| u.banned = false).await;
    // A deleted key: its credentials and refresh token stop working (401).
    let sdk = client_with_token(&server, &user.access_token);
    let key_id: meridian::types::DeleteClientKeyId = key["id"].as_str().unwrap().parse().unwrap();
    sdk.delete_client_key(&key_id).await.expect("deleted");
    let (code, _) = grant(
        &server,
        json!({"grantType": "refreshToken", "refreshToken": tokens["refreshToken"]}),
    )
    .await;
    assert_eq!(code, 401);
    let (code, _) = grant(
        &server,
        json!({"grantType": "clientCredentials", "clientId": id, "clientSecret": secret}),
    )
    .await;
    assert_eq!(code, 401);
    assert_eq!(probe(&server, tokens["accessToken"].as_str().unwrap()).await, 401);
}
