//! The statuses every operation shares, provoked for all implemented operations at once:
//! 413 (a body over the limit), 415 (a body of the wrong media type), 429 (the endpoint's
//! budget spent), 503 (the database unreachable), and 401/403 for missing, forged or
//! out-of-scope credentials. Requests are built from the bundle itself — path parameters filled in,
//! required query parameters and bodies taken from the documented examples — so a new
//! operation is covered the moment it is implemented.

use meridian_contract_tests::TestServer;
use meridian_contract_tests::fixtures::signed_in_user;
use meridian_contract_tests::spec::{self, Operation};
use meridian_server::ratelimit::RateLimitMode;
use serde_json::Value;

/// Operations whose handlers never touch the database, so 503 cannot happen.
const NO_DATABASE: &[&str] = &[
    "get_oauth_metadata",
    // Market data: computed from the deterministic feed alone.
    "get_price",
    "get_symbol_price",
    "list_prices",
    "get_ticker",
    "list_tickers",
    "get_candles",
    "get_order_book",
];

fn implemented() -> Vec<Operation> {
    let unimplemented = spec::unimplemented();
    spec::operations(spec::bundle())
        .into_iter()
        .filter(|op| !unimplemented.contains(&op.operation_id))
        .collect()
}

fn operation_object(op: &Operation) -> &'static Value {
    spec::bundle()
        .pointer(&format!("/paths/{}/{}", spec::escape_pointer(&op.path), op.method))
        .expect("the operation is in the bundle")
}

/// An example of a documented value: `example`, else the first of `examples`, else the schema's.
fn example_of(object: &Value) -> Option<Value> {
    object
        .get("example")
        .cloned()
        .or_else(|| {
            object
                .get("examples")?
                .as_object()?
                .values()
                .next()?
                .get("value")
                .cloned()
        })
        .or_else(|| {
            spec::deref(spec::bundle(), object.get("schema")?)
                .get("example")
                .cloned()
        })
}

/// The URL of `op` with path parameters filled in and required query parameters from examples.
fn url_of(base: &str, op: &Operation) -> String {
    let object = operation_object(op);
    let mut path = op.path.clone();
    let mut query = Vec::new();
    for param in object.get("parameters").and_then(Value::as_array).into_iter().flatten() {
        let param = spec::deref(spec::bundle(), param);
        let name = param["name"].as_str().unwrap_or_default();
        let value = example_of(param).map(|v| v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string()));
        match param["in"].as_str() {
            Some("path") => path = path.replace(&format!("{{{name}}}"), &value.unwrap_or_else(|| "1".into())),
            Some("query") if param["required"] == true => query.push(format!("{name}={}", value.unwrap_or_default())),
            _ => {}
        }
    }
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{}", query.join("&"))
    };
    format!("{base}{path}{query}")
}

/// The documented request body of `op`: its media type and an example.
fn body_of(op: &Operation) -> Option<(String, Vec<u8>)> {
    let body = spec::deref(spec::bundle(), operation_object(op).get("requestBody")?);
    let (media, object) = body.get("content")?.as_object()?.iter().next()?;
    let example = example_of(object).unwrap_or(Value::Object(Default::default()));
    let bytes = if media == "application/x-www-form-urlencoded" {
        example
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| format!("{k}={}", v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string())))
                    .collect::<Vec<_>>()
                    .join("&")
            })
            .unwrap_or_default()
            .into_bytes()
    } else {
        example.to_string().into_bytes()
    };
    Some((media.clone(), bytes))
}

/// A signed-in user's credentials, sent the way each operation's security asks for.
struct Credentials<'a> {
    token: &'a str,
    email: &'a str,
    password: &'a str,
}

/// Whether `op` lists the security scheme `scheme`.
fn uses(op: &Operation, scheme: &str) -> bool {
    operation_object(op)
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(|reqs| reqs.iter().any(|r| r.get(scheme).is_some()))
}

async fn send(
    server: &TestServer,
    op: &Operation,
    who: Option<&Credentials<'_>>,
    body: Option<(String, Vec<u8>)>,
) -> u16 {
    let method = reqwest::Method::from_bytes(op.method.to_uppercase().as_bytes()).unwrap();
    let mut request = server.http().request(method, url_of(&server.url, op));
    if let Some(who) = who {
        if uses(op, "bearerAuth") {
            request = request.bearer_auth(who.token);
        } else if uses(op, "basicAuth") {
            request = request.basic_auth(who.email, Some(who.password));
        }
    }
    if let Some((media, bytes)) = body {
        request = request.header("content-type", media).body(bytes);
    }
    request.send().await.expect("the proxy answers").status().as_u16()
}

#[tokio::test]
async fn every_body_over_the_limit_is_a_413() {
    let server = TestServer::start().await;
    let big = vec![b'x'; 70_000];
    for op in implemented() {
        let Some((media, _)) = body_of(&op) else { continue };
        let status = send(&server, &op, None, Some((media, big.clone()))).await;
        assert_eq!(status, 413, "{} {}", op.method, op.path);
    }
}

/// Found by Schemathesis: a body without a `Content-Type`, or of a media type the operation
/// does not take, is a 415 (undocumented until then); the OAuth endpoints answer RFC 6749's
/// 400 `invalid_request` instead.
#[tokio::test]
async fn every_body_of_the_wrong_media_type_is_a_415() {
    let server = TestServer::start().await;
    // Signed in, so operations that check credentials before the body reach the body.
    let user = signed_in_user(&server, "media").await;
    let who = Credentials {
        token: &user.access_token,
        email: &user.email,
        password: &user.password,
    };
    for op in implemented() {
        let Some((media, bytes)) = body_of(&op) else { continue };
        let wrong = if media == "application/json" {
            "text/plain"
        } else {
            "application/json"
        };
        let expected = if op.path.starts_with("/api/oauth/") { 400 } else { 415 };
        let status = send(&server, &op, Some(&who), Some((wrong.into(), bytes.clone()))).await;
        assert_eq!(status, expected, "{} {} as {wrong}", op.method, op.path);
        let method = reqwest::Method::from_bytes(op.method.to_uppercase().as_bytes()).unwrap();
        let untyped = server
            .http()
            .request(method, url_of(&server.url, &op))
            .bearer_auth(&user.access_token)
            .body(bytes);
        let status = untyped.send().await.unwrap().status().as_u16();
        assert_eq!(status, expected, "{} {} without a Content-Type", op.method, op.path);
    }
}

#[tokio::test]
async fn every_operation_answers_429_once_its_budget_is_spent() {
    // Budgets divided by 1000: one request each (shared budgets, like `default`, are spent
    // by whichever operation comes first).
    let server = TestServer::builder()
        .rate_limits(RateLimitMode::Divided(1000))
        .start()
        .await;
    for op in implemented() {
        send(&server, &op, None, body_of(&op)).await;
        let status = send(&server, &op, None, body_of(&op)).await;
        assert_eq!(status, 429, "{} {}", op.method, op.path);
    }
}

#[tokio::test]
async fn every_operation_that_needs_the_database_answers_503_without_it() {
    let server = TestServer::builder().pool(1, 1).start().await;
    let user = signed_in_user(&server, "outage").await;
    // Hold the only connection: every database access now times out, as in an outage.
    let held = server.state().db.conn().await.expect("the only connection");
    let who = Credentials {
        token: &user.access_token,
        email: &user.email,
        password: &user.password,
    };
    let ops = implemented();
    let statuses =
        futures_util::future::join_all(ops.iter().map(|op| send(&server, op, Some(&who), body_of(op)))).await;
    drop(held);
    for (op, status) in ops.iter().zip(statuses) {
        if NO_DATABASE.contains(&op.operation_id.as_str()) {
            assert_ne!(status, 503, "{} does not use the database", op.operation_id);
        } else {
            assert_eq!(status, 503, "{} {} ({})", op.method, op.path, op.operation_id);
        }
    }
}

/// The groups whose operations never accept a client token (API-MAP: client keys act on
/// trading, credit and loans only).
const USER_ONLY_TAGS: &[&str] = &["auth", "accounts", "client-keys"];

fn tag_of(op: &Operation) -> &'static str {
    operation_object(op)["tags"][0].as_str().unwrap_or_default()
}

#[tokio::test]
async fn every_secured_operation_refuses_a_missing_or_forged_token_with_401() {
    let server = TestServer::start().await;
    let forged = Credentials {
        token: "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
        email: "x@example.com",
        password: "x",
    };
    for op in implemented().into_iter().filter(|op| uses(op, "bearerAuth")) {
        assert_eq!(
            send(&server, &op, None, body_of(&op)).await,
            401,
            "no token: {}",
            op.operation_id
        );
        assert_eq!(
            send(&server, &op, Some(&forged), body_of(&op)).await,
            401,
            "forged: {}",
            op.operation_id
        );
    }
}

#[tokio::test]
async fn client_tokens_are_refused_with_403_outside_trading_credit_and_loans() {
    let server = TestServer::start().await;
    let user = signed_in_user(&server, "client").await;
    let token = meridian_contract_tests::fixtures::client_token(&server, &user).await;
    let who = Credentials {
        token: &token,
        email: &user.email,
        password: &user.password,
    };
    for op in implemented() {
        if !uses(&op, "bearerAuth") || !USER_ONLY_TAGS.contains(&tag_of(&op)) {
            continue;
        }
        assert_eq!(
            send(&server, &op, Some(&who), body_of(&op)).await,
            403,
            "{}",
            op.operation_id
        );
    }
}

/// The `clientCredentials` scope an operation documents, if any.
fn client_scope(op: &Operation) -> Option<String> {
    operation_object(op)
        .get("security")?
        .as_array()?
        .iter()
        .find_map(|r| r.get("clientCredentials"))?
        .as_array()?
        .first()?
        .as_str()
        .map(str::to_owned)
}

#[tokio::test]
async fn client_tokens_without_the_documented_scope_are_refused_with_403() {
    let server = TestServer::start().await;
    let user = signed_in_user(&server, "scoped").await;
    // One key that may only read and one that may only write, on every group.
    let readers = ["trading:read", "credit:read", "loans:read"];
    let writers = ["trading:write", "credit:write", "loans:write"];
    let read_only = meridian_contract_tests::fixtures::client_token_with_scopes(&server, &user, &readers).await;
    let write_only = meridian_contract_tests::fixtures::client_token_with_scopes(&server, &user, &writers).await;
    let mut checked = 0;
    for op in implemented() {
        let Some(scope) = client_scope(&op) else { continue };
        // The key lacking exactly this operation's scope.
        let token = if readers.contains(&scope.as_str()) {
            &write_only
        } else {
            &read_only
        };
        let who = Credentials {
            token,
            email: &user.email,
            password: &user.password,
        };
        assert_eq!(
            send(&server, &op, Some(&who), body_of(&op)).await,
            403,
            "{} without {scope}",
            op.operation_id
        );
        checked += 1;
    }
    assert!(checked >= 8, "the trading operations document client scopes");
}
