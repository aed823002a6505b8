//! Token attacks on every kind of credential Meridian accepts, in one suite: forged, swapped,
//! expired, misdirected, revoked and replayed tokens are all refused. And enumeration: login,
//! resend-verification and forgot-password answer (and, for login, take) the same for known and
//! unknown addresses.
//!
//! Tokens are hand-built ([`jws`]): the attacks need tokens no well-behaved JWT library
//! writes. Each suite first shows the server accepts a token
//! the suite signed itself (HS256 with `TEST_JWT_SECRET`), so a refusal below comes from what
//! the attack changed, not from a signer the server would refuse anyway.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use meridian_contract_tests::TestServer;
use meridian_contract_tests::fixtures::{
    PASSWORD, SignedIn, client_token, client_with_token, create_key, login, post_json, read_mail, register, set_role,
    signed_in_user, unique_email,
};
use meridian_contract_tests::server::TEST_JWT_SECRET;
use meridian_server::auth::flows::MAX_FAILED_LOGINS;
use meridian_server::ratelimit::RateLimitMode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use jws::{Hs, b64, unb64};

/// JWS compact serialisation (RFC 7515) built by hand from HMAC-SHA-2 and base64url, so a
/// token can carry any header, any algorithm name and any signature.
mod jws {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use hmac::{Hmac, Mac};
    use serde_json::Value;

    /// An HMAC-SHA-2 algorithm (JWA `HS256`, `HS384`, `HS512`).
    #[derive(Debug, Clone, Copy)]
    pub enum Hs {
        /// HMAC-SHA-256.
        S256,
        /// HMAC-SHA-384.
        S384,
        /// HMAC-SHA-512.
        S512,
    }

    /// Base64url without padding.
    pub fn b64(bytes: impl AsRef<[u8]>) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The bytes of base64url text without padding.
    pub fn unb64(text: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(text).expect("base64url")
    }

    /// The HMAC of `message` under `key`.
    pub fn hmac(alg: Hs, key: &[u8], message: &[u8]) -> Vec<u8> {
        fn mac<M: Mac + hmac::digest::KeyInit>(key: &[u8], message: &[u8]) -> Vec<u8> {
            let mut mac = <M as hmac::digest::KeyInit>::new_from_slice(key).expect("any key length");
            mac.update(message);
            mac.finalize().into_bytes().to_vec()
        }
        match alg {
            Hs::S256 => mac::<Hmac<sha2::Sha256>>(key, message),
            Hs::S384 => mac::<Hmac<sha2::Sha384>>(key, message),
            Hs::S512 => mac::<Hmac<sha2::Sha512>>(key, message),
        }
    }

    /// `header.claims.signature` with the signature made by `alg` under `key`, whatever the
    /// header says.
    pub fn sign(header: &Value, claims: &Value, alg: Hs, key: &[u8]) -> String {
        let input = format!("{}.{}", b64(header.to_string()), b64(claims.to_string()));
        let signature = b64(hmac(alg, key, input.as_bytes()));
        format!("{input}.{signature}")
    }

    /// The claims of a token (its signature unchecked).
    pub fn claims(token: &str) -> Value {
        let payload = token.split('.').nth(1).expect("a JWS has a payload");
        serde_json::from_slice(&unb64(payload)).expect("JSON claims")
    }
}

/// The test servers' signing key.
fn secret() -> &'static [u8] {
    TEST_JWT_SECRET.as_bytes()
}

/// Seconds since the Unix epoch.
fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// `claims` signed as the server signs: HS256 with its key.
fn mint(claims: &Value) -> String {
    jws::sign(&json!({"alg": "HS256", "typ": "JWT"}), claims, Hs::S256, secret())
}

/// `claims` with `field` set to `value` (`Value::Null` removes it).
fn with(claims: &Value, field: &str, value: Value) -> Value {
    let mut changed = claims.clone();
    let object = changed.as_object_mut().expect("claims are an object");
    if value.is_null() {
        object.remove(field);
    } else {
        object.insert(field.to_owned(), value);
    }
    changed
}

/// The `WWW-Authenticate` of a refused bearer token (RFC 6750 §3.1).
const INVALID_TOKEN: &str = "Bearer realm=\"meridian\", error=\"invalid_token\"";

/// What the server answered.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map_or("", |v| v.to_str().unwrap_or("<not text>"))
    }
}

/// How a request carries its credential.
#[derive(Debug, Clone, Copy)]
enum Credential<'a> {
    /// No credential.
    Nothing,
    /// `Authorization: Bearer <token>`.
    Bearer(&'a str),
    /// The `accessToken` cookie.
    Cookie(&'a str),
}

/// One request through the validating proxy.
async fn send(
    server: &TestServer,
    method: &str,
    path: &str,
    credential: Credential<'_>,
    body: Option<Value>,
) -> Answer {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("an HTTP method");
    let mut request = server.http().request(method, format!("{}{path}", server.url));
    request = match credential {
        Credential::Nothing => request,
        Credential::Bearer(token) => request.header("authorization", format!("Bearer {token}")),
        Credential::Cookie(token) => request.header("cookie", format!("accessToken={token}")),
    };
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("the proxy answers");
    Answer {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.json().await.unwrap_or(Value::Null),
    }
}

/// `token` tried where each extractor reads it: an account endpoint by bearer header and by
/// cookie, and a service endpoint (which also admits client tokens) by bearer header.
async fn probe(server: &TestServer, token: &str) -> Vec<(&'static str, Answer)> {
    vec![
        (
            "GET /api/users/me by bearer",
            send(server, "GET", "/api/users/me", Credential::Bearer(token), None).await,
        ),
        (
            "GET /api/users/me by cookie",
            send(server, "GET", "/api/users/me", Credential::Cookie(token), None).await,
        ),
        (
            "GET /api/trading/balances by bearer",
            send(server, "GET", "/api/trading/balances", Credential::Bearer(token), None).await,
        ),
    ]
}

/// Asserts `answer` has `status` and the one error body with the `error` of that status.
#[track_caller]
fn assert_error(answer: &Answer, status: u16, error: &str, what: &str) {
    assert_eq!(
        answer.status, status,
        "{what} was not refused with {status}: {}",
        answer.body
    );
    assert_eq!(
        (&answer.body["success"], &answer.body["error"]),
        (&json!(false), &json!(error)),
        "{what}: {}",
        answer.body
    );
    assert!(answer.body["request_id"].is_string(), "{what}: {}", answer.body);
}

/// Asserts `answer` is the 401 of a refused token: the one error body and `invalid_token`.
#[track_caller]
fn assert_invalid_token(answer: &Answer, what: &str) {
    assert_error(answer, 401, "Unauthorized", what);
    assert_eq!(answer.header("www-authenticate"), INVALID_TOKEN, "{what}");
}

/// Asserts `answer` is a 401 for credentials in a body (a refresh token, a grant): the one
/// error body, with the bare challenge.
#[track_caller]
fn assert_unauthorized(answer: &Answer, what: &str) {
    assert_eq!(answer.status, 401, "{what} was not refused: {}", answer.body);
    assert_eq!(answer.body["success"], false, "{what}: {}", answer.body);
    assert!(answer.body["message"].is_string(), "{what}: {}", answer.body);
    assert_eq!(answer.header("www-authenticate"), "Bearer realm=\"meridian\"", "{what}");
}

/// Asserts `answer` is the 403 of a valid token of the wrong kind.
#[track_caller]
fn assert_forbidden(answer: &Answer, what: &str) {
    assert_error(answer, 403, "Forbidden", what);
}

/// Asserts every [`probe`] refuses `token` with 401 `invalid_token`.
async fn assert_refused(server: &TestServer, token: &str, what: &str) {
    for (route, answer) in probe(server, token).await {
        assert_invalid_token(&answer, &format!("{what} on {route}"));
    }
}

/// Asserts every [`probe`] accepts `token` (a user's access or account token).
async fn assert_accepted(server: &TestServer, token: &str, what: &str) {
    for (route, answer) in probe(server, token).await {
        assert_eq!(answer.status, 200, "{what} on {route}: {}", answer.body);
    }
}

/// A signed-in user and the claims of their access token.
struct Target {
    user: SignedIn,
    claims: Value,
}

async fn signed_in_target(server: &TestServer, prefix: &str) -> Target {
    let user = signed_in_user(server, prefix).await;
    let claims = jws::claims(&user.access_token);
    Target { user, claims }
}

/// Starts a server and a target, and shows the server accepts the suite's own signature.
async fn start(prefix: &str) -> (TestServer, Target) {
    let server = TestServer::start().await;
    let target = signed_in_target(&server, prefix).await;
    assert_eq!(target.claims["typ"], "access", "{}", target.claims);
    assert_accepted(&server, &mint(&target.claims), "the suite's own HS256 signature").await;
    (server, target)
}

/// `POST /api/auth/refresh` with `token` in the body.
async fn refresh(server: &TestServer, token: &str) -> Answer {
    let body = json!({"refresh_token": token});
    send(server, "POST", "/api/auth/refresh", Credential::Nothing, Some(body)).await
}

/// A Bloq account token for `email` (`POST /api/auth` with HTTP Basic).
async fn account_token(server: &TestServer, email: &str) -> String {
    let response = server
        .http()
        .post(format!("{}/api/auth", server.url))
        .basic_auth(email, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["accessToken"].as_str().expect("an account token").to_owned()
}

/// Bloq's client-credentials grant for `key` (with a refresh token).
async fn grant(server: &TestServer, key: &Value) -> Value {
    let body =
        json!({"grantType": "clientCredentials", "clientId": key["clientId"], "clientSecret": key["clientSecret"]});
    let answer = send(server, "POST", "/api/auth/token", Credential::Nothing, Some(body)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body
}

fn status(error: &meridian::generated::Error<meridian::types::ApiErrorBody>) -> u16 {
    error.status().map(|s| s.as_u16()).unwrap_or(0)
}

#[tokio::test]
async fn alg_none_is_refused_in_every_spelling() {
    let (server, target) = start("none").await;
    let payload = b64(target.claims.to_string());
    let real_signature = target.user.access_token.split('.').nth(2).unwrap().to_owned();
    for alg in [json!("none"), json!("None"), json!("NONE"), json!("nOnE"), Value::Null] {
        let header = if alg.is_null() {
            json!({"typ": "JWT"})
        } else {
            json!({"alg": alg, "typ": "JWT"})
        };
        let input = format!("{}.{payload}", b64(header.to_string()));
        // Unsigned (empty signature, and no third part at all), and with a signature present:
        // the real token's, and a correct HMAC of this very input under the server's key.
        let hmac = b64(jws::hmac(Hs::S256, secret(), input.as_bytes()));
        for (token, what) in [
            (format!("{input}."), "empty signature"),
            (input.clone(), "two parts"),
            (format!("{input}.{real_signature}"), "the real token's signature"),
            (
                format!("{input}.{hmac}"),
                "a valid HMAC under an `alg` that is not HS256",
            ),
        ] {
            assert_refused(&server, &token, &format!("alg {alg}, {what}")).await;
        }
    }
}

#[tokio::test]
async fn algorithm_swaps_are_refused() {
    let (server, target) = start("swap").await;
    let claims = &target.claims;
    // Another HMAC with the same secret: correctly signed, but the server pins HS256.
    for (alg, hs) in [("HS384", Hs::S384), ("HS512", Hs::S512)] {
        let token = jws::sign(&json!({"alg": alg, "typ": "JWT"}), claims, hs, secret());
        assert_refused(&server, &token, &format!("{alg} with the server's secret")).await;
    }
    // Key confusion: an asymmetric `alg` over an HMAC made with the secret as the key.
    for alg in ["RS256", "RS512", "PS256", "ES256", "EdDSA"] {
        let token = jws::sign(&json!({"alg": alg, "typ": "JWT"}), claims, Hs::S256, secret());
        assert_refused(&server, &token, &format!("{alg} header over an HMAC signature")).await;
    }
    // A header that says one algorithm over a signature of another; and a lower-case name
    // (JWA names are case-sensitive).
    for (alg, hs) in [
        ("HS256", Hs::S512),
        ("HS256", Hs::S384),
        ("HS512", Hs::S256),
        ("hs256", Hs::S256),
    ] {
        let token = jws::sign(&json!({"alg": alg, "typ": "JWT"}), claims, hs, secret());
        assert_refused(&server, &token, &format!("`alg: {alg}` over {hs:?}")).await;
    }
}

#[tokio::test]
async fn expired_and_not_yet_valid_tokens_are_refused() {
    // The server allows 5 s of clock skew (`Keys::verify`'s leeway); these are well beyond it.
    let (server, target) = start("expired").await;
    let now = unix_now();
    for (exp, what) in [
        (json!(now - 60), "expired a minute ago"),
        (json!(now - 24 * 3600), "expired a day ago"),
        (Value::Null, "without `exp`"),
        (json!((now + 3600).to_string()), "`exp` as a string"),
    ] {
        let token = mint(&with(&target.claims, "exp", exp));
        assert_refused(&server, &token, what).await;
    }
    let expired = mint(&with(&target.claims, "exp", json!(now - 60)));
    let answer = send(&server, "GET", "/api/users/me", Credential::Bearer(&expired), None).await;
    assert!(
        answer.body["message"].as_str().unwrap_or("").contains("expired"),
        "an expired token is told so, so a client refreshes: {}",
        answer.body
    );
    // RFC 7519 §4.1.5: a token MUST NOT be accepted before its `nbf`.
    let early = with(&target.claims, "nbf", json!(now + 3600));
    assert_refused(&server, &mint(&early), "a token not valid for another hour").await;
}

#[tokio::test]
async fn tokens_for_another_audience_or_issuer_are_refused() {
    let (server, target) = start("aud").await;
    for (field, value, what) in [
        ("aud", json!("someone-else"), "another audience"),
        ("aud", json!(["someone-else"]), "another audience, as a list"),
        ("aud", Value::Null, "no audience"),
        ("iss", json!("someone-else"), "another issuer"),
        ("iss", json!("Meridian"), "the issuer in another case"),
        ("iss", Value::Null, "no issuer"),
        ("sub", Value::Null, "no subject"),
    ] {
        let token = mint(&with(&target.claims, field, value));
        assert_refused(&server, &token, what).await;
    }
}

#[tokio::test]
async fn tokens_of_the_wrong_kind_are_refused() {
    let (server, target) = start("kind").await;
    let user = &target.user;
    // Opaque tokens are not bearer tokens: a refresh token, and the emailed verification and
    // reset tokens.
    assert_refused(&server, &user.refresh_token, "a refresh token as an access token").await;
    let verification = read_mail(&server, &user.email, "verify_email").await;
    let token = verification["token"].as_str().unwrap();
    assert_refused(&server, token, "an email-verification token").await;
    post_json(&server, "/api/auth/forgot-password", json!({"email": user.email})).await;
    let reset = read_mail(&server, &user.email, "reset_password").await;
    assert_refused(&server, reset["token"].as_str().unwrap(), "a password-reset token").await;

    // Signed tokens of kinds the server never issues, and kinds missing their binding.
    for (claims, what) in [
        (with(&target.claims, "typ", json!("refresh")), "`typ: refresh`"),
        (with(&target.claims, "typ", json!("admin")), "`typ: admin`"),
        (with(&target.claims, "typ", Value::Null), "no `typ`"),
        (
            with(&target.claims, "sid", Value::Null),
            "an access token without a session",
        ),
        (
            with(&target.claims, "typ", json!("client")),
            "a client token without a client key",
        ),
    ] {
        assert_refused(&server, &mint(&claims), what).await;
    }

    // Access, account and client tokens are not refresh tokens, in the body or the cookie.
    let account = account_token(&server, &user.email).await;
    let key = create_key(&server, &user.access_token, json!({"name": "kinds"})).await;
    let client = grant(&server, &key).await;
    let client_access = client["accessToken"].as_str().unwrap();
    let client_refresh = client["refreshToken"].as_str().unwrap();
    for (token, what) in [
        (user.access_token.as_str(), "an access token"),
        (account.as_str(), "an account token"),
        (client_access, "a client token"),
        (client_refresh, "a client refresh token"),
    ] {
        assert_unauthorized(&refresh(&server, token).await, &format!("{what} on /api/auth/refresh"));
        let response = server
            .http()
            .post(format!("{}/api/auth/refresh", server.url))
            .header("cookie", format!("refreshToken={token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{what} as the refreshToken cookie");
    }
    // And a user's tokens are not client refresh tokens.
    for (token, what) in [
        (user.refresh_token.as_str(), "a user's refresh token"),
        (user.access_token.as_str(), "a user's access token"),
    ] {
        let body = json!({"grantType": "refreshToken", "refreshToken": token});
        let answer = send(&server, "POST", "/api/auth/token", Credential::Nothing, Some(body)).await;
        assert_eq!(answer.status, 401, "{what} in the refresh-token grant: {}", answer.body);
    }

    // A client token acts on trading, credit and loans, never on the account: 403.
    let answer = send(
        &server,
        "GET",
        "/api/trading/balances",
        Credential::Bearer(client_access),
        None,
    )
    .await;
    assert_eq!(answer.status, 200, "the client token is valid: {}", answer.body);
    let password_change = json!({"oldPassword": PASSWORD, "newPassword": "OtherPass123!"});
    for (method, path, body) in [
        ("GET", "/api/users/me", None),
        ("POST", "/api/auth/logout", None),
        ("PUT", "/api/users/me/password", Some(password_change)),
        ("GET", "/api/users/me/sessions", None),
        ("GET", "/api/profile", None),
    ] {
        let answer = send(&server, method, path, Credential::Bearer(client_access), body.clone()).await;
        assert_forbidden(&answer, &format!("a client token on {method} {path}"));
        let answer = send(&server, method, path, Credential::Cookie(client_access), body).await;
        assert_forbidden(&answer, &format!("a client token as the cookie on {method} {path}"));
    }
    // None of those took effect: the password is unchanged and the session alive.
    assert_accepted(
        &server,
        &user.access_token,
        "the user's token after the client's attempts",
    )
    .await;
    login(&server, &user.email, PASSWORD).await;
}

#[tokio::test]
async fn tokens_are_refused_when_forged_or_missing() {
    let server = TestServer::start().await;
    let user = signed_in_user(&server, "forge").await;
    let error = server.client().logout().await.expect_err("no token");
    assert_eq!(status(&error), 401);
    let mut parts: Vec<String> = user.access_token.split('.').map(str::to_owned).collect();
    parts[2] = parts[2].chars().rev().collect();
    let error = client_with_token(&server, &parts.join("."))
        .logout()
        .await
        .expect_err("bad signature");
    assert_eq!(status(&error), 401);
    let response = server
        .http()
        .post(format!("{}/api/auth/logout", server.url))
        .bearer_auth("not-a-jwt")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    // RFC 6750 §3.1: a refused token is `invalid_token`, which tells a client that a
    // refreshed token may succeed.
    assert_eq!(
        response.headers()["www-authenticate"],
        "Bearer realm=\"meridian\", error=\"invalid_token\""
    );
    // No token at all: the challenge alone, without an error code (RFC 6750 §3).
    let response = server
        .http()
        .post(format!("{}/api/auth/logout", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["www-authenticate"], "Bearer realm=\"meridian\"");
}

#[tokio::test]
async fn forged_and_tampered_tokens_are_refused() {
    let (server, target) = start("tamper").await;
    let victim = signed_in_target(&server, "victim").await;
    let token = &target.user.access_token;
    let parts: Vec<&str> = token.split('.').collect();
    let (header, signature) = (parts[0], unb64(parts[2]));

    // The signature: flipped bits, cut short, lengthened, or another key's.
    for (index, bit) in [(0, 0x01), (signature.len() / 2, 0x80), (signature.len() - 1, 0x01)] {
        let mut flipped = signature.clone();
        flipped[index] ^= bit;
        let forged = format!("{header}.{}.{}", parts[1], b64(&flipped));
        assert_refused(&server, &forged, &format!("bit {bit:#x} of byte {index} flipped")).await;
    }
    let cut = format!("{header}.{}.{}", parts[1], b64(&signature[..16]));
    assert_refused(&server, &cut, "half a signature").await;
    let long = format!(
        "{header}.{}.{}",
        parts[1],
        b64([&signature[..], &signature[..]].concat())
    );
    assert_refused(&server, &long, "a doubled signature").await;
    let hs256 = json!({"alg": "HS256", "typ": "JWT"});
    let near = [secret(), b"x"].concat();
    for (key, what) in [
        (&b"another-secret-another-secret-another-secret"[..], "another secret"),
        (&b""[..], "an empty key"),
        (&near[..], "the secret with one more byte"),
    ] {
        let forged = jws::sign(&hs256, &target.claims, Hs::S256, key);
        assert_refused(&server, &forged, &format!("signed with {what}")).await;
    }
    // Headers naming the attacker's key: the server's key is the only one it uses.
    let attacker = b"attacker-chosen-key-attacker-chosen-key";
    for header in [
        json!({"alg": "HS256", "kid": "attacker"}),
        json!({"alg": "HS256", "kid": "../../../../dev/null"}),
        json!({"alg": "HS256", "jwk": {"kty": "oct", "k": b64(attacker)}}),
        json!({"alg": "HS256", "jku": "https://attacker.example/jwks.json"}),
    ] {
        let forged = jws::sign(&header, &target.claims, Hs::S256, attacker);
        assert_refused(&server, &forged, &format!("header {header}")).await;
    }

    // Claims changed after signing, under the original signature.
    let exp = target.claims["exp"].as_i64().unwrap();
    for (field, value) in [
        ("sub", victim.claims["sub"].clone()),
        ("sid", victim.claims["sid"].clone()),
        ("role", json!("admin")),
        ("exp", json!(exp + 365 * 24 * 3600)),
        ("typ", json!("account")),
    ] {
        let claims = with(&target.claims, field, value.clone());
        let forged = format!("{header}.{}.{}", b64(claims.to_string()), parts[2]);
        assert_refused(&server, &forged, &format!("`{field}` changed to {value} after signing")).await;
    }
    // The same claims serialised otherwise: the signature covers the bytes, not the JSON value.
    let pretty = serde_json::to_string_pretty(&target.claims).unwrap();
    let forged = format!("{header}.{}.{}", b64(pretty), parts[2]);
    assert_refused(&server, &forged, "the payload re-serialised").await;

    // Even correctly signed (a leaked key), a token is bound to its session and to its user,
    // and the role is read from the database on each request.
    let other_user = with(&target.claims, "sub", victim.claims["sub"].clone());
    assert_refused(
        &server,
        &mint(&other_user),
        "another user's id in the attacker's session",
    )
    .await;
    let other_session = with(&target.claims, "sid", victim.claims["sid"].clone());
    assert_refused(
        &server,
        &mint(&other_session),
        "another user's session for the attacker",
    )
    .await;
    let admin = mint(&with(&target.claims, "role", json!("admin")));
    let me = send(&server, "GET", "/api/users/me", Credential::Bearer(&admin), None).await;
    assert_eq!((me.status, &me.body["role"]), (200, &json!("user")), "{}", me.body);
    let answer = send(&server, "GET", "/api/admin/users", Credential::Bearer(&admin), None).await;
    assert_forbidden(&answer, "a user's token claiming `role: admin` on GET /api/admin/users");
}

#[tokio::test]
async fn logout_revokes_the_session_at_once() {
    let server = TestServer::start().await;
    let user = signed_in_user(&server, "logout").await;
    let client = client_with_token(&server, &user.access_token);
    let bye = client.logout().await.expect("logout").into_inner();
    assert_eq!(bye.message, "Logout successful");
    // The same access token is refused on the next request, not at expiry.
    let again = client.logout().await.expect_err("revoked");
    assert_eq!(status(&again), 401);
    // And the session's refresh token is dead too.
    let (status, _) = post_json(
        &server,
        "/api/auth/refresh",
        json!({"refresh_token": user.refresh_token}),
    )
    .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn tokens_of_ended_sessions_are_refused() {
    // Logout: `logout_revokes_the_session_at_once` above; a password reset:
    // `reset_password_ends_every_session_clears_the_lockout_and_works_once` (email.rs).
    let server = TestServer::start().await;
    let email = unique_email("ended");
    register(&server, &email, PASSWORD).await;
    let current = login(&server, &email, PASSWORD).await;
    let other = login(&server, &email, PASSWORD).await;
    let doomed = login(&server, &email, PASSWORD).await;
    let account = account_token(&server, &email).await;

    // One session revoked by id.
    let sid = jws::claims(&doomed.access_token)["sid"].as_str().unwrap().to_owned();
    let path = format!("/api/users/me/sessions/{sid}");
    let answer = send(
        &server,
        "DELETE",
        &path,
        Credential::Bearer(&current.access_token),
        None,
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_refused(&server, &doomed.access_token, "a token of a session revoked by id").await;
    assert_unauthorized(&refresh(&server, &doomed.refresh_token).await, "its refresh token");

    // A password change ends every other session, login sessions and account tokens alike;
    // the session that changed it goes on.
    let change = json!({"oldPassword": PASSWORD, "newPassword": "OtherPass123!"});
    let answer = send(
        &server,
        "PUT",
        "/api/users/me/password",
        Credential::Bearer(&current.access_token),
        Some(change),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_refused(
        &server,
        &other.access_token,
        "another session's token after a password change",
    )
    .await;
    assert_unauthorized(&refresh(&server, &other.refresh_token).await, "its refresh token");
    assert_refused(&server, &account, "an account token after a password change").await;
    assert_accepted(&server, &current.access_token, "the session that changed the password").await;

    // A ban ends every session at once, and they stay ended when it is lifted; the user's
    // client tokens are refused while it lasts.
    let client = client_token(&server, &current).await;
    let admin = signed_in_user(&server, "ender").await;
    set_role(&server, &admin.id, "admin").await;
    let ban_path = format!("/api/admin/users/{}", current.id);
    let admin_token = Credential::Bearer(&admin.access_token);
    let answer = send(&server, "PATCH", &ban_path, admin_token, Some(json!({"banned": true}))).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_refused(&server, &current.access_token, "a banned user's token").await;
    let answer = send(
        &server,
        "GET",
        "/api/trading/balances",
        Credential::Bearer(&client),
        None,
    )
    .await;
    assert_forbidden(&answer, "a banned user's client token");
    let answer = send(&server, "PATCH", &ban_path, admin_token, Some(json!({"banned": false}))).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_refused(
        &server,
        &current.access_token,
        "a token of a session ended by a ban, after it",
    )
    .await;
}

#[tokio::test]
async fn refresh_rotates_and_a_replayed_token_revokes_the_family() {
    let server = TestServer::start().await;
    let user = signed_in_user(&server, "rotate").await;
    let (status, first) = post_json(
        &server,
        "/api/auth/refresh",
        json!({"refresh_token": user.refresh_token}),
    )
    .await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["message"], "Token refreshed");
    let rotated = first["tokens"]["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(rotated, user.refresh_token);
    // Replay the first token: reuse detected, the whole session revoked.
    let (status, _) = post_json(
        &server,
        "/api/auth/refresh",
        json!({"refresh_token": user.refresh_token}),
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = post_json(&server, "/api/auth/refresh", json!({"refresh_token": rotated})).await;
    assert_eq!(status, 401, "the rotated token died with its family");
    let new_access = first["tokens"]["access_token"].as_str().unwrap();
    let error = client_with_token(&server, new_access)
        .logout()
        .await
        .expect_err("session revoked");
    assert_eq!(self::status(&error), 401);
    // The original access token of the session too.
    assert_refused(&server, &user.access_token, "the family's first access token").await;
}

#[tokio::test]
async fn client_tokens_are_bound_to_a_live_key_of_their_owner() {
    // Deleting a key from the API's side: `deleting_a_key_revokes_its_tokens_at_once`
    // (users/client_keys.rs); revocation: `revocation_follows_rfc_7009` (oauth.rs).
    let server = TestServer::start().await;
    let user = signed_in_user(&server, "key-owner").await;
    let other = signed_in_user(&server, "key-other").await;
    let key = create_key(&server, &user.access_token, json!({"name": "doomed"})).await;
    let granted = grant(&server, &key).await;
    let token = granted["accessToken"].as_str().unwrap();
    let theirs = client_token(&server, &other).await;
    let claims = jws::claims(token);
    let own = mint(&claims);
    let answer = send(&server, "GET", "/api/trading/balances", Credential::Bearer(&own), None).await;
    assert_eq!(answer.status, 200, "the suite's own signature: {}", answer.body);

    // A client token names its key (`cid`) and the key's owner (`sub`): both must match.
    let their_claims = jws::claims(&theirs);
    for (claims, what) in [
        (with(&claims, "sub", json!(other.id)), "my key for another user"),
        (with(&their_claims, "sub", json!(user.id)), "another user's key for me"),
        (with(&claims, "cid", json!("key-unknown")), "an unknown key"),
        (with(&claims, "cid", Value::Null), "no key"),
    ] {
        assert_refused(&server, &mint(&claims), what).await;
    }
    // Scopes widened after signing.
    let narrow = create_key(&server, &user.access_token, json!({"scopes": ["credit:read"]})).await;
    let narrow = grant(&server, &narrow).await["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let parts: Vec<&str> = narrow.split('.').collect();
    let wide = with(&jws::claims(&narrow), "scope", json!("trading:read trading:write"));
    let forged = format!("{}.{}.{}", parts[0], b64(wide.to_string()), parts[2]);
    assert_refused(&server, &forged, "scopes widened after signing").await;

    // A deleted key's tokens, access and refresh, die with it.
    let path = format!("/api/users/me/client-keys/{}", key["id"].as_str().unwrap());
    let answer = send(&server, "DELETE", &path, Credential::Bearer(&user.access_token), None).await;
    assert_eq!(answer.status, 204, "{}", answer.body);
    assert_refused(&server, token, "a deleted key's client token").await;
    let body = json!({"grantType": "refreshToken", "refreshToken": granted["refreshToken"]});
    let answer = send(&server, "POST", "/api/auth/token", Credential::Nothing, Some(body)).await;
    assert_eq!(answer.status, 401, "a deleted key's refresh token: {}", answer.body);
}

/// The headers two answers must share: all, with the request id, the date, the length (the
/// request id's) and the rate-limit counters masked (their presence still counts).
fn comparable_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    const MASKED: [&str; 5] = [
        "x-request-id",
        "date",
        "content-length",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
    ];
    let mut list: Vec<(String, String)> = headers
        .iter()
        .map(|(name, value)| {
            let value = if MASKED.contains(&name.as_str()) {
                "<varies>".to_owned()
            } else {
                value.to_str().unwrap_or("<not text>").to_owned()
            };
            (name.as_str().to_owned(), value)
        })
        .collect();
    list.sort();
    list
}

/// The body without its request id.
fn comparable_body(body: &Value) -> Value {
    with(body, "request_id", Value::Null)
}

/// Asserts each answer matches the first in status, body and headers.
#[track_caller]
fn assert_alike(answers: &[(&str, Answer)]) {
    let (first_what, first) = &answers[0];
    for (what, answer) in &answers[1..] {
        assert_eq!(answer.status, first.status, "{what} vs {first_what}");
        assert_eq!(
            comparable_body(&answer.body),
            comparable_body(&first.body),
            "{what} vs {first_what}"
        );
        assert_eq!(
            comparable_headers(&answer.headers),
            comparable_headers(&first.headers),
            "{what} vs {first_what}"
        );
    }
}

/// Three accounts on `server`: one registered but unverified, one verified, one banned
/// (signed in before the ban): their emails, and the banned one.
async fn three_kinds_of_account(server: &TestServer) -> (String, String, SignedIn) {
    let unverified = unique_email("unverified");
    register(server, &unverified, PASSWORD).await;
    let verified = unique_email("verified");
    register(server, &verified, PASSWORD).await;
    let token = read_mail(server, &verified, "verify_email").await["token"].clone();
    let (status, body) = post_json(server, "/api/auth/verify-email", json!({"token": token})).await;
    assert_eq!(status, 200, "{body}");
    let banned = signed_in_user(server, "banned").await;
    let mut conn = server.state().db.conn().await.unwrap();
    let mut row = meridian_server::db::users::find(&mut conn, &banned.id).await.unwrap();
    row.banned = true;
    meridian_server::db::users::save(&mut conn, &row).await.unwrap();
    (unverified, verified, banned)
}

#[tokio::test]
async fn login_answers_unknown_emails_exactly_like_wrong_passwords() {
    let server = TestServer::start().await;
    let (pending, verified, banned) = three_kinds_of_account(&server).await;

    let wrong = "WrongPass123!";
    let attempt = |email: String, password: &'static str| {
        let server = &server;
        async move {
            let body = json!({"email": email, "password": password});
            send(server, "POST", "/api/auth/login", Credential::Nothing, Some(body)).await
        }
    };
    let answers = [
        ("an unknown email", attempt(unique_email("nobody"), wrong).await),
        (
            "an unknown email, right-looking password",
            attempt(unique_email("nobody"), PASSWORD).await,
        ),
        ("a wrong password (pending account)", attempt(pending, wrong).await),
        ("a wrong password (verified account)", attempt(verified, wrong).await),
        (
            "a wrong password (banned account)",
            attempt(banned.email.clone(), wrong).await,
        ),
    ];
    assert_eq!(answers[0].1.status, 401, "{}", answers[0].1.body);
    assert_eq!(answers[0].1.body["message"], "Invalid email or password.");
    assert_alike(&answers);
}

/// The time `POST /api/auth/login` takes to refuse `email` with a wrong password.
async fn timed_login(http: &reqwest::Client, server: &TestServer, email: &str) -> Duration {
    let body = json!({"email": email, "password": "WrongPass123!"});
    let started = Instant::now();
    let response = http
        .post(format!("{}/api/auth/login", server.url))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    response.bytes().await.unwrap();
    let took = started.elapsed();
    assert_eq!(status, 401, "{email}");
    took
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::test]
async fn unknown_emails_take_as_long_as_wrong_passwords() {
    // A security property, not a performance assertion: an unknown email must cost the same
    // argon2 verification as a wrong password (against a dummy hash), or response times tell
    // which emails have accounts. Without it an unknown email is answered several times faster
    // (5x through the proxy of a debug build, far more in production); the 2x margin absorbs
    // scheduling noise on a busy machine while still catching that.
    const ROUNDS: usize = 12;
    const ACCOUNTS: usize = 4;
    // Each account takes ROUNDS / ACCOUNTS wrong passwords: below the lockout, whose answer
    // (423, no hashing) would be fast.
    assert!(ROUNDS / ACCOUNTS < MAX_FAILED_LOGINS as usize);
    let server = TestServer::builder().rate_limits(RateLimitMode::Off).start().await;
    let mut accounts = Vec::new();
    for _ in 0..ACCOUNTS {
        let email = unique_email("timing");
        register(&server, &email, PASSWORD).await;
        accounts.push(email);
    }
    let http = server.http();
    // Warm up: the first unknown email computes the dummy hash itself (a whole argon2 hash),
    // and the first request opens the connection.
    let warm = unique_email("warm");
    register(&server, &warm, PASSWORD).await;
    timed_login(&http, &server, &unique_email("nobody")).await;
    timed_login(&http, &server, &warm).await;

    let (mut unknown, mut wrong) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        // Alternate which goes first, so a drift in load weighs on both alike.
        let nobody = unique_email("nobody");
        let account = &accounts[round % ACCOUNTS];
        if round % 2 == 0 {
            unknown.push(timed_login(&http, &server, &nobody).await);
            wrong.push(timed_login(&http, &server, account).await);
        } else {
            wrong.push(timed_login(&http, &server, account).await);
            unknown.push(timed_login(&http, &server, &nobody).await);
        }
    }
    let (unknown, wrong) = (median(unknown), median(wrong));
    eprintln!("median login time: unknown email {unknown:?}, wrong password {wrong:?}");
    assert!(
        unknown * 2 >= wrong,
        "an unknown email is answered much faster than a wrong password (median {unknown:?} vs {wrong:?}): \
         response times reveal which emails have accounts"
    );
}

#[tokio::test]
async fn resend_and_forgot_password_answer_alike_for_every_kind_of_address() {
    // Complements email.rs, which compares messages for unknown and verified addresses
    // (`resend_answers_the_same_for_unknown_and_verified_addresses`) and bodies for unknown and
    // unverified ones (`forgot_password_never_reveals_accounts_and_newer_tokens_supersede`):
    // here every kind of address, on both operations, by status, whole body and headers.
    let server = TestServer::start().await;
    let (unverified, verified, banned) = three_kinds_of_account(&server).await;
    let unknown = unique_email("nobody");

    for path in ["/api/auth/resend-verification", "/api/auth/forgot-password"] {
        let mut answers = Vec::new();
        for (what, email) in [
            ("an unknown address", unknown.as_str()),
            ("an unverified account", unverified.as_str()),
            ("a verified account", verified.as_str()),
            ("a banned account", banned.email.as_str()),
        ] {
            let body = json!({"email": email});
            answers.push((what, send(&server, "POST", path, Credential::Nothing, Some(body)).await));
        }
        assert_eq!(answers[0].1.status, 200, "{path}: {}", answers[0].1.body);
        assert_alike(&answers);
    }
    // The answers hid a difference: the known addresses were mailed a reset link.
    for email in [&unverified, &verified, &banned.email] {
        read_mail(&server, email, "reset_password").await;
    }
}
