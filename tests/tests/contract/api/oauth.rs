//! `/api/oauth/token` and `/api/oauth/revoke`: the RFC 6749 token endpoint driven by a stock
//! OAuth 2.0 client (the `oauth2` crate) and by raw forms for every §5.2 error, and RFC 7009
//! revocation of client access and refresh tokens.

use meridian_contract_tests::TestServer;
use meridian_contract_tests::fixtures::{client_with_token, signed_in_user};
use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{AuthType, ClientId, ClientSecret, RequestTokenError, Scope, TokenResponse, TokenUrl};
use serde_json::{Value, json};

/// oauth2's HTTP client over reqwest 0.13 (its built-in integration targets 0.12).
async fn send(http: reqwest::Client, request: oauth2::HttpRequest) -> Result<oauth2::HttpResponse, reqwest::Error> {
    let method = reqwest::Method::from_bytes(request.method().as_str().as_bytes()).expect("method");
    let mut builder = http.request(method, request.uri().to_string());
    for (name, value) in request.headers() {
        builder = builder.header(name.as_str(), value.as_bytes());
    }
    let response = builder.body(request.body().clone()).send().await?;
    let mut out = oauth2::http::Response::builder().status(response.status().as_u16());
    for (name, value) in response.headers() {
        out = out.header(name.as_str(), value.as_bytes());
    }
    let body = response.bytes().await?.to_vec();
    Ok(out.body(body).expect("response"))
}

/// A new client key of a new user: (user access token, key JSON).
async fn key(server: &TestServer, prefix: &str, scopes: Option<Value>) -> (String, Value) {
    let user = signed_in_user(server, prefix).await;
    let body = match scopes {
        Some(scopes) => json!({"scopes": scopes}),
        None => json!({}),
    };
    let request: meridian::types::ClientKeyCreateRequest = serde_json::from_value(body).unwrap();
    let created = client_with_token(server, &user.access_token)
        .create_client_key(&request)
        .await
        .expect("key created")
        .into_inner();
    (user.access_token, serde_json::to_value(created).unwrap())
}

fn id_secret(key: &Value) -> (String, String) {
    (
        key["clientId"].as_str().unwrap().to_owned(),
        key["clientSecret"].as_str().unwrap().to_owned(),
    )
}

/// A form POST to `path` (through the validating proxy) with optional HTTP Basic.
async fn form(
    server: &TestServer,
    path: &str,
    body: &str,
    basic: Option<(&str, &str)>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut request = server
        .http()
        .post(format!("{}{path}", server.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_owned());
    if let Some((user, password)) = basic {
        request = request.basic_auth(user, Some(password));
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.json().await.unwrap_or(Value::Null))
}

/// Status of `GET /api/users/me/client-keys` with `token`: 403 for a live client token,
/// 401 for a dead one.
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

#[tokio::test]
async fn a_stock_oauth2_client_runs_the_client_credentials_flow() {
    let server = TestServer::start().await;
    let (user_token, key) = key(&server, "oauth2", None).await;
    let (id, secret) = id_secret(&key);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let http_client = |request| send(http.clone(), request);
    let token_url = TokenUrl::new(format!("{}/api/oauth/token", server.url)).unwrap();
    for auth_type in [AuthType::BasicAuth, AuthType::RequestBody] {
        let client = BasicClient::new(ClientId::new(id.clone()))
            .set_client_secret(ClientSecret::new(secret.clone()))
            .set_token_uri(token_url.clone())
            .set_auth_type(auth_type.clone());
        let token = client
            .exchange_client_credentials()
            .add_scope(Scope::new("trading:read".into()))
            .add_scope(Scope::new("loans:write".into()))
            .request_async(&http_client)
            .await
            .unwrap_or_else(|e| panic!("{auth_type:?}: {e:?}"));
        assert_eq!(token.expires_in(), Some(std::time::Duration::from_secs(3600)));
        let scopes: Vec<String> = token.scopes().unwrap().iter().map(|s| s.to_string()).collect();
        assert_eq!(scopes, ["trading:read", "loans:write"]);
        assert!(token.refresh_token().is_none(), "§4.4.3: no refresh token");
        // The token authenticates but never acts on accounts.
        assert_eq!(probe(&server, token.access_token().secret()).await, 403);
    }
    // A wrong secret is a §5.2 error the client understands.
    let wrong = BasicClient::new(ClientId::new(id.clone()))
        .set_client_secret(ClientSecret::new("0".repeat(80)))
        .set_token_uri(token_url.clone())
        .set_auth_type(AuthType::BasicAuth);
    match wrong.exchange_client_credentials().request_async(&http_client).await {
        Err(RequestTokenError::ServerResponse(error)) => {
            assert_eq!(*error.error(), BasicErrorResponseType::InvalidClient)
        }
        other => panic!("expected invalid_client, got {other:?}"),
    }
    // A scope outside the key's.
    let (_, narrow) = self::key(&server, "oauth2-narrow", Some(json!(["credit:read"]))).await;
    let (narrow_id, narrow_secret) = id_secret(&narrow);
    let narrow_client = BasicClient::new(ClientId::new(narrow_id))
        .set_client_secret(ClientSecret::new(narrow_secret))
        .set_token_uri(token_url.clone());
    match narrow_client
        .exchange_client_credentials()
        .add_scope(Scope::new("trading:write".into()))
        .request_async(&http_client)
        .await
    {
        Err(RequestTokenError::ServerResponse(error)) => {
            assert_eq!(*error.error(), BasicErrorResponseType::InvalidScope, "{error:?}")
        }
        other => panic!("expected invalid_scope, got {other:?}"),
    }

    // Deleting the key kills the token it got.
    let client = BasicClient::new(ClientId::new(id.clone()))
        .set_client_secret(ClientSecret::new(secret.clone()))
        .set_token_uri(token_url);
    let token = client
        .exchange_client_credentials()
        .request_async(&http_client)
        .await
        .unwrap();
    let access = token.access_token().secret().clone();
    assert_eq!(probe(&server, &access).await, 403);
    let key_id: meridian::types::DeleteClientKeyId = key["id"].as_str().unwrap().parse().unwrap();
    client_with_token(&server, &user_token)
        .delete_client_key(&key_id)
        .await
        .expect("deleted");
    assert_eq!(probe(&server, &access).await, 401);
    assert!(
        client
            .exchange_client_credentials()
            .request_async(&http_client)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn the_token_endpoint_answers_rfc_6749_bodies() {
    let server = TestServer::start().await;
    let (_, key) = key(&server, "oauth-raw", Some(json!(["trading:read", "credit:read"]))).await;
    let (id, secret) = id_secret(&key);
    let path = "/api/oauth/token";
    let cc = "grant_type=client_credentials";

    // Success: exactly the §5.1 shape and headers; unknown parameters are ignored (§3.2).
    let (code, headers, body) = form(&server, path, &format!("{cc}&foo=bar&scope="), Some((&id, &secret))).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["pragma"], "no-cache");
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], "trading:read credit:read");
    assert!(body.get("refresh_token").is_none());
    // Each Basic part is form-urlencoded before base64 (§2.3.1): `%61` is `a`.
    let encoded_id = id.replacen('a', "%61", 1);
    let (code, _, body) = form(&server, path, cc, Some((&encoded_id, &secret))).await;
    assert_eq!(code, 200, "{encoded_id}: {body}");
    // Body credentials; with Basic, a matching client_id in the body is tolerated.
    let (code, _, body) = form(
        &server,
        path,
        &format!("{cc}&client_id={id}&client_secret={secret}"),
        None,
    )
    .await;
    assert_eq!(code, 200, "{body}");
    let (code, _, body) = form(&server, path, &format!("{cc}&client_id={id}"), Some((&id, &secret))).await;
    assert_eq!(code, 200, "{body}");

    let expect = |code: u16, body: &Value, status: u16, error: &str, what: &str| {
        assert_eq!((code, body["error"].as_str()), (status, Some(error)), "{what}: {body}");
    };
    // 401 invalid_client with a Basic challenge.
    let (code, headers, body) = form(&server, path, cc, None).await;
    expect(code, &body, 401, "invalid_client", "no client authentication");
    assert_eq!(headers["www-authenticate"], "Basic realm=\"meridian\"");
    let (code, headers, body) = form(&server, path, cc, Some((&id, "wrong"))).await;
    expect(code, &body, 401, "invalid_client", "wrong Basic secret");
    assert_eq!(headers["www-authenticate"], "Basic realm=\"meridian\"");
    // 400s.
    type Case<'a> = (String, Option<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        (
            format!("{cc}&client_id={id}&client_secret=wrong"),
            None,
            "invalid_client",
        ),
        (format!("{cc}&client_id={id}"), None, "invalid_client"),
        ("scope=trading:read".into(), Some((&id, &secret)), "invalid_request"),
        (
            format!("{cc}&grant_type=client_credentials"),
            Some((&id, &secret)),
            "invalid_request",
        ),
        (
            format!("{cc}&client_secret={secret}"),
            Some((&id, &secret)),
            "invalid_request",
        ),
        (format!("{cc}&client_id=other"), Some((&id, &secret)), "invalid_request"),
        ("grant_type=refresh_token".into(), None, "invalid_request"),
        (
            "grant_type=password&username=a&password=b".into(),
            Some((&id, &secret)),
            "unsupported_grant_type",
        ),
        (format!("{cc}&scope=loans:write"), Some((&id, &secret)), "invalid_scope"),
        (format!("{cc}&scope=everything"), Some((&id, &secret)), "invalid_scope"),
        (
            "grant_type=refresh_token&refresh_token=nope".into(),
            None,
            "invalid_grant",
        ),
    ];
    for (body_text, basic, error) in cases {
        let (code, _, body) = form(&server, path, &body_text, basic).await;
        expect(code, &body, 400, error, &body_text);
    }
    // Not a form: invalid_request.
    let response = server
        .http()
        .post(format!("{}{path}", server.url))
        .basic_auth(&id, Some(&secret))
        .json(&json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    // Through the SDK (form body): a banned owner is unauthorized_client.
    let sdk_request: meridian::types::OAuthTokenRequest =
        serde_json::from_value(json!({"grant_type": "client_credentials", "client_id": id, "client_secret": secret}))
            .unwrap();
    let ok = server
        .client()
        .oauth_token(&sdk_request)
        .await
        .expect("sdk grant")
        .into_inner();
    assert_eq!(ok.token_type.to_string(), "Bearer");
    let owner = {
        let mut conn = server.state().db.conn().await.unwrap();
        let row = meridian_server::db::client_keys::find_by_client_id(&mut conn, &id)
            .await
            .unwrap();
        let mut user = meridian_server::db::users::find(&mut conn, &row.user_id).await.unwrap();
        user.banned = true;
        meridian_server::db::users::save(&mut conn, &user).await.unwrap();
        user
    };
    let error = server.client().oauth_token(&sdk_request).await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(400));
    let meridian::generated::Error::ErrorResponse(response) = error else {
        panic!("expected an error response, got {error:?}");
    };
    let body = serde_json::to_value(response.into_inner()).unwrap();
    assert_eq!(body["error"], "unauthorized_client", "{body} ({})", owner.id);
}

#[tokio::test]
async fn the_refresh_grant_returns_the_same_refresh_token() {
    let server = TestServer::start().await;
    let (_, key) = key(&server, "oauth-refresh", None).await;
    let (id, secret) = id_secret(&key);
    let (_, other) = self::key(&server, "oauth-refresh-other", None).await;
    let (other_id, other_secret) = id_secret(&other);
    let bloq: Value = server
        .http()
        .post(format!("{}/api/auth/token", server.url))
        .json(&json!({"grantType": "clientCredentials", "clientId": id, "clientSecret": secret, "scope": "trading:read trading:write"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let refresh = bloq["refreshToken"].as_str().unwrap();
    let path = "/api/oauth/token";
    let body = format!("grant_type=refresh_token&refresh_token={refresh}");
    let (code, _, answer) = form(&server, path, &body, None).await;
    assert_eq!(code, 200, "{answer}");
    assert_eq!(answer["refresh_token"], refresh);
    assert_eq!(answer["scope"], "trading:read trading:write");
    let (code, _, answer) = form(
        &server,
        path,
        &format!("{body}&scope=trading%3Awrite"),
        Some((&id, &secret)),
    )
    .await;
    assert_eq!(code, 200, "{answer}");
    assert_eq!(answer["scope"], "trading:write");
    let (code, _, answer) = form(&server, path, &format!("{body}&scope=credit:read"), None).await;
    assert_eq!((code, answer["error"].as_str()), (400, Some("invalid_scope")));
    // Another key's client authentication: invalid_grant.
    let (code, _, answer) = form(&server, path, &body, Some((&other_id, &other_secret))).await;
    assert_eq!(
        (code, answer["error"].as_str()),
        (400, Some("invalid_grant")),
        "{answer}"
    );
}

#[tokio::test]
async fn revocation_follows_rfc_7009() {
    let server = TestServer::start().await;
    let (_, key) = key(&server, "revoke", None).await;
    let (id, secret) = id_secret(&key);
    let (_, other) = self::key(&server, "revoke-other", None).await;
    let (other_id, other_secret) = id_secret(&other);
    let grant = || async {
        let value: Value = server
            .http()
            .post(format!("{}/api/auth/token", server.url))
            .json(&json!({"grantType": "clientCredentials", "clientId": id, "clientSecret": secret}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (
            value["accessToken"].as_str().unwrap().to_owned(),
            value["refreshToken"].as_str().unwrap().to_owned(),
        )
    };
    let path = "/api/oauth/revoke";
    let (access_a, refresh_a) = grant().await;
    let (access_b, _) = grant().await;

    // One access token: only that one dies.
    let request: meridian::types::OAuthRevokeRequest =
        serde_json::from_value(json!({"token": access_a, "token_type_hint": "access_token"})).unwrap();
    let answer = server
        .client()
        .oauth_revoke(&request)
        .await
        .expect("revoked")
        .into_inner();
    assert_eq!(serde_json::to_value(answer).unwrap(), json!({}));
    assert_eq!(probe(&server, &access_a).await, 401);
    assert_eq!(probe(&server, &access_b).await, 403);

    // A refresh token: it and every access token issued with or from it die.
    let (code, _, body) = form(
        &server,
        "/api/oauth/token",
        &format!("grant_type=refresh_token&refresh_token={refresh_a}"),
        None,
    )
    .await;
    assert_eq!(code, 200, "{body}");
    let from_refresh = body["access_token"].as_str().unwrap().to_owned();
    let (access_c, refresh_c) = grant().await;
    let (code, _, body) = form(&server, path, &format!("token={refresh_c}"), Some((&id, &secret))).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        probe(&server, &access_c).await,
        401,
        "issued with the revoked refresh token"
    );
    assert_eq!(
        probe(&server, &from_refresh).await,
        403,
        "another refresh token's family lives"
    );
    let (code, _, body) = form(
        &server,
        "/api/oauth/token",
        &format!("grant_type=refresh_token&refresh_token={refresh_c}"),
        None,
    )
    .await;
    assert_eq!((code, body["error"].as_str()), (400, Some("invalid_grant")));
    let (code, _, _) = form(
        &server,
        path,
        &format!("token={refresh_a}&token_type_hint=refresh_token"),
        None,
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(
        probe(&server, &from_refresh).await,
        401,
        "issued from the revoked refresh token"
    );

    // Unknown, already revoked and user tokens: 200 all the same.
    for token in ["garbage", access_a.as_str(), refresh_c.as_str()] {
        let (code, _, body) = form(&server, path, &format!("token={token}&unknown=1"), None).await;
        assert_eq!(code, 200, "{token}: {body}");
    }
    // Client authentication, when present, must succeed and own the token.
    let (code, _, body) = form(
        &server,
        path,
        &format!("token={access_b}"),
        Some((&other_id, &other_secret)),
    )
    .await;
    assert_eq!(
        (code, body["error"].as_str()),
        (400, Some("unauthorized_client")),
        "{body}"
    );
    assert_eq!(probe(&server, &access_b).await, 403, "not revoked by another client");
    let (code, headers, body) = form(&server, path, &format!("token={access_b}"), Some((&id, "wrong"))).await;
    assert_eq!((code, body["error"].as_str()), (401, Some("invalid_client")));
    assert_eq!(headers["www-authenticate"], "Basic realm=\"meridian\"");
    let (code, _, body) = form(
        &server,
        path,
        &format!("token={access_b}&client_id={id}&client_secret=wrong"),
        None,
    )
    .await;
    assert_eq!((code, body["error"].as_str()), (400, Some("invalid_client")));
    for bad in [
        "token_type_hint=access_token",
        "token=a&token=b",
        "token=a&token_type_hint=id_token",
    ] {
        let (code, _, body) = form(&server, path, bad, None).await;
        assert_eq!(
            (code, body["error"].as_str()),
            (400, Some("invalid_request")),
            "{bad}: {body}"
        );
    }
    let (code, _, body) = form(
        &server,
        path,
        &format!("token={access_b}&client_id={id}&client_secret={secret}"),
        None,
    )
    .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(probe(&server, &access_b).await, 401);
}

/// Found by Schemathesis: `client_secret=` (empty) on `/api/oauth/revoke` was answered 200
/// while the schema said `minLength: 1`. RFC 6749 §3.2 makes an empty parameter an omitted
/// one, so the schema now accepts empty optional parameters and the server treats them as
/// absent: the token is revoked exactly as without them.
#[tokio::test]
async fn empty_optional_form_parameters_count_as_omitted() {
    let server = TestServer::start().await;
    let (_, key) = key(&server, "revoke-empty", None).await;
    let (id, secret) = id_secret(&key);
    let (code, _, body) = form(
        &server,
        "/api/oauth/token",
        &format!("grant_type=client_credentials&client_id={id}&client_secret={secret}&scope=&refresh_token="),
        None,
    )
    .await;
    assert_eq!(code, 200, "{body}");
    let access = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(probe(&server, &access).await, 403, "a live client token");
    let (code, _, body) = form(
        &server,
        "/api/oauth/revoke",
        &format!("token={access}&token_type_hint=&client_id=&client_secret="),
        None,
    )
    .await;
    assert_eq!((code, body), (200, json!({})));
    assert_eq!(probe(&server, &access).await, 401, "revoked");
}

/// Found by Schemathesis: a 5000-character `token` on `/api/oauth/revoke` was answered 200
/// although the schema caps it at 4096. Every form parameter now keeps to its `maxLength`.
#[tokio::test]
async fn form_parameters_over_their_documented_length_are_refused() {
    let server = TestServer::start().await;
    let long = |n: usize| "0".repeat(n);
    for (path, body) in [
        ("/api/oauth/revoke", format!("token={}", long(4097))),
        (
            "/api/oauth/revoke",
            format!("token=t&client_id={}&client_secret=s", long(257)),
        ),
        (
            "/api/oauth/token",
            format!("grant_type=client_credentials&client_id=c&client_secret={}", long(513)),
        ),
        (
            "/api/oauth/token",
            format!("grant_type=refresh_token&refresh_token={}", long(4097)),
        ),
        (
            "/api/oauth/token",
            format!("grant_type=client_credentials&scope={}", long(513)),
        ),
    ] {
        let (code, _, answer) = form(&server, path, &body, None).await;
        assert_eq!(
            (code, answer["error"].as_str()),
            (400, Some("invalid_request")),
            "{path}: {answer}"
        );
        assert!(
            answer["error_description"].as_str().unwrap().contains("longer than"),
            "{answer}"
        );
    }
    // At the limit, the token is merely unknown: revocation answers 200 (RFC 7009 §2.2).
    let (code, _, answer) = form(&server, "/api/oauth/revoke", &format!("token={}", long(4096)), None).await;
    assert_eq!((code, answer), (200, json!({})));
}
