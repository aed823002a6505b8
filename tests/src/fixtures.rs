//! Test fixtures: users registered and signed in through the API, authenticated SDK clients,
//! and the messages the file mailer wrote.

use std::time::Duration;

use serde_json::Value;

use crate::TestServer;

/// A password that meets the policy.
pub const PASSWORD: &str = "SecurePass123!";

/// A signed-in user.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// User id.
    pub id: String,
    /// Email address.
    pub email: String,
    /// Password.
    pub password: String,
    /// Access token.
    pub access_token: String,
    /// Refresh token.
    pub refresh_token: String,
}

/// A fresh unique email address.
pub fn unique_email(prefix: &str) -> String {
    let n: u64 = rand::random();
    format!("{prefix}-{n:x}@example.com")
}

/// An SDK client sending `Authorization: Bearer <token>` (through the validating proxy).
pub fn client_with_token(server: &TestServer, token: &str) -> meridian::GeneratedClient {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        reqwest::header::HeaderValue::from_str(&format!("Bearer {token}")).expect("token is a header value"),
    );
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("reqwest client");
    meridian::GeneratedClient::new_with_client(&server.url, http, meridian::Runtime::default())
}

/// Registers `email` with `password` through the SDK; the new user's id.
pub async fn register(server: &TestServer, email: &str, password: &str) -> String {
    let body = meridian::types::RegisterRequest {
        email: email.parse().expect("valid email"),
        password: password.parse().expect("valid password"),
    };
    server
        .client()
        .register(&body)
        .await
        .expect("registration succeeds")
        .into_inner()
        .user
        .id
}

/// Logs `email` in (no 2FA) through the SDK.
pub async fn login(server: &TestServer, email: &str, password: &str) -> SignedIn {
    let body: meridian::types::LoginRequest =
        serde_json::from_value(serde_json::json!({"email": email, "password": password})).expect("login body");
    let response = server.client().login(&body).await.expect("login succeeds").into_inner();
    let value = serde_json::to_value(&response).expect("login response");
    SignedIn {
        id: value["user"]["id"].as_str().expect("user id").to_owned(),
        email: email.to_owned(),
        password: password.to_owned(),
        access_token: value["tokens"]["access_token"]
            .as_str()
            .expect("access token")
            .to_owned(),
        refresh_token: value["tokens"]["refresh_token"]
            .as_str()
            .expect("refresh token")
            .to_owned(),
    }
}

/// Registers a fresh user and logs them in.
pub async fn signed_in_user(server: &TestServer, prefix: &str) -> SignedIn {
    let email = unique_email(prefix);
    register(server, &email, PASSWORD).await;
    login(server, &email, PASSWORD).await
}

/// The newest message of `kind` (`verify_email`, `reset_password`) the file mailer wrote to
/// `to`, waiting for it up to five seconds.
pub async fn read_mail(server: &TestServer, to: &str, kind: &str) -> Value {
    let dir = server.mail_dir();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let mut newest: Option<(String, Value)> = None;
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.ends_with(".json") || name.starts_with('.') {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(entry.path()) else {
                continue;
            };
            let Ok(message) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            if message["to"] == to && message["kind"] == kind && newest.as_ref().is_none_or(|(n, _)| name > *n) {
                newest = Some((name, message));
            }
        }
        if let Some((_, message)) = newest {
            return message;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no {kind} message to {to} in {}",
            dir.display()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Makes `user_id` an admin (or `staff`) directly in the database, as `--bootstrap-admin`
/// does for the first admin.
pub async fn set_role(server: &TestServer, user_id: &str, role: &str) {
    let mut conn = server.state().db.conn().await.expect("connection");
    let mut user = meridian_server::db::users::find(&mut conn, user_id)
        .await
        .expect("user exists");
    user.role = role.to_owned();
    meridian_server::db::users::save(&mut conn, &user)
        .await
        .expect("role saved");
}

/// A client token of `user` (a new client key with every scope, then the Bloq
/// client-credentials grant), through raw HTTP.
pub async fn client_token(server: &TestServer, user: &SignedIn) -> String {
    client_token_with(server, user, serde_json::json!({"name": "fixture"})).await
}

/// A client access token for a new key of `user` holding only `scopes`.
pub async fn client_token_with_scopes(server: &TestServer, user: &SignedIn, scopes: &[&str]) -> String {
    client_token_with(
        server,
        user,
        serde_json::json!({"name": "scoped fixture", "scopes": scopes}),
    )
    .await
}

async fn client_token_with(server: &TestServer, user: &SignedIn, key_body: Value) -> String {
    let http = server.http();
    let key: Value = http
        .post(format!("{}/api/users/me/client-keys", server.url))
        .bearer_auth(&user.access_token)
        .json(&key_body)
        .send()
        .await
        .expect("client key created")
        .json()
        .await
        .expect("client key JSON");
    let grant: Value = http
        .post(format!("{}/api/auth/token", server.url))
        .json(&serde_json::json!({
            "grantType": "clientCredentials",
            "clientId": key["clientId"],
            "clientSecret": key["clientSecret"],
        }))
        .send()
        .await
        .expect("client token granted")
        .json()
        .await
        .expect("client token JSON");
    grant["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("no accessToken in {grant}"))
        .to_owned()
}

/// A raw JSON request through the validating proxy (for requests the SDK cannot make, such
/// as malformed bodies): the status and the JSON body (`null` when there is none).
pub async fn request(
    server: &TestServer,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("an HTTP method");
    let mut request = server.http().request(method, format!("{}{path}", server.url));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("the proxy answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// [`request`] for an anonymous JSON `POST`.
pub async fn post_json(server: &TestServer, path: &str, body: Value) -> (u16, Value) {
    request(server, "POST", path, None, Some(body)).await
}

/// The status and JSON body of an SDK call that must fail with a documented error.
pub fn failure<T: std::fmt::Debug>(
    result: Result<T, meridian::generated::Error<meridian::types::ApiErrorBody>>,
) -> (u16, Value) {
    match result {
        Err(meridian::generated::Error::ErrorResponse(response)) => {
            let status = response.status().as_u16();
            (status, serde_json::to_value(response.into_inner()).expect("error body"))
        }
        other => panic!("expected an error response, got {other:?}"),
    }
}

/// A generated-SDK request body from JSON (validated by the SDK's own types).
#[macro_export]
macro_rules! sdk_body {
    ($($json:tt)+) => {
        serde_json::from_value(serde_json::json!($($json)+)).expect("a valid SDK body")
    };
}

/// Creates a client key for `token` with `body` through the SDK; its JSON.
pub async fn create_key(server: &TestServer, token: &str, body: Value) -> Value {
    let request: meridian::types::ClientKeyCreateRequest = serde_json::from_value(body).expect("a key request");
    let created = client_with_token(server, token)
        .create_client_key(&request)
        .await
        .expect("key created")
        .into_inner();
    serde_json::to_value(created).expect("key JSON")
}
