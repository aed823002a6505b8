//! `/api/users/me/client-keys`: Bloq's client keys (seed 004) — the secret shown once, the
//! list without secrets, the 25-key limit, deletion that kills the key's tokens at once, and
//! client tokens refused on the group (403).

use meridian_contract_tests::TestServer;
use meridian_contract_tests::fixtures::create_key;
use meridian_contract_tests::fixtures::request;
use meridian_contract_tests::fixtures::{client_with_token, signed_in_user};
use serde_json::{Value, json};

fn status(error: &meridian::generated::Error<meridian::types::ApiErrorBody>) -> u16 {
    error.status().map(|s| s.as_u16()).unwrap_or(0)
}

/// A client token of the key (`clientId`, `clientSecret`) from Bloq's grant.
async fn client_token(server: &TestServer, key: &Value) -> String {
    let request: meridian::types::ClientTokenRequest = serde_json::from_value(json!({
        "grantType": "clientCredentials",
        "clientId": key["clientId"],
        "clientSecret": key["clientSecret"],
    }))
    .unwrap();
    server
        .client()
        .create_client_token(&request)
        .await
        .expect("client token")
        .into_inner()
        .access_token
}

fn is_lower_hex(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[tokio::test]
async fn a_new_key_shows_its_secret_once_and_the_list_never_does() {
    let server = TestServer::start().await;
    let user = signed_in_user(&server, "keys").await;
    let first = create_key(&server, &user.access_token, json!({})).await;
    assert!(is_lower_hex(first["clientId"].as_str().unwrap(), 40), "{first}");
    assert!(is_lower_hex(first["clientSecret"].as_str().unwrap(), 80), "{first}");
    assert!(first["id"].as_str().unwrap().starts_with("key-"));
    let client_id = first["clientId"].as_str().unwrap();
    assert_eq!(first["name"], format!("Client key {}", &client_id[..8]));
    assert_eq!(
        first["scopes"],
        json!([
            "trading:read",
            "trading:write",
            "credit:read",
            "credit:write",
            "loans:read",
            "loans:write"
        ])
    );
    let second = create_key(
        &server,
        &user.access_token,
        json!({"name": "  Portfolio dashboard ", "scopes": ["loans:read", "trading:read"]}),
    )
    .await;
    assert_eq!(second["name"], "Portfolio dashboard");
    assert_eq!(second["scopes"], json!(["trading:read", "loans:read"]));
    // Seed 004's call without any body works too.
    let (code, third) = request(
        &server,
        "POST",
        "/api/users/me/client-keys",
        Some(&user.access_token),
        None,
    )
    .await;
    assert_eq!(code, 200, "{third}");
    assert_ne!(third["clientSecret"], first["clientSecret"]);

    let listed = client_with_token(&server, &user.access_token)
        .list_client_keys()
        .await
        .expect("list")
        .into_inner();
    let ids: Vec<&str> = listed.iter().map(|k| k.id.as_str()).collect();
    assert_eq!(ids.len(), 3);
    assert_eq!(ids[2], first["id"].as_str().unwrap(), "newest first: {ids:?}");
    let (code, raw) = request(
        &server,
        "GET",
        "/api/users/me/client-keys",
        Some(&user.access_token),
        None,
    )
    .await;
    assert_eq!(code, 200);
    for key in raw.as_array().unwrap() {
        assert!(key.get("clientSecret").is_none(), "no secret in the list: {key}");
        assert_eq!(key["enabled"], true);
        assert_eq!(key["lastUsedAt"], Value::Null);
    }
    // Using the key records lastUsedAt.
    client_token(&server, &first).await;
    let (_, raw) = request(
        &server,
        "GET",
        "/api/users/me/client-keys",
        Some(&user.access_token),
        None,
    )
    .await;
    let used = raw.as_array().unwrap().iter().find(|k| k["id"] == first["id"]).unwrap();
    assert!(used["lastUsedAt"].is_string(), "{used}");
    // Another user sees none of them.
    let other = signed_in_user(&server, "keys-other").await;
    let (_, theirs) = request(
        &server,
        "GET",
        "/api/users/me/client-keys",
        Some(&other.access_token),
        None,
    )
    .await;
    assert_eq!(theirs, json!([]));
}

#[tokio::test]
async fn bad_bodies_are_400_and_the_26th_key_is_409() {
    let server = TestServer::start().await;
    let user = signed_in_user(&server, "keys-bad").await;
    let token = Some(user.access_token.as_str());
    let path = "/api/users/me/client-keys";
    for body in [
        json!({"scopes": ["admin"]}),
        json!({"scopes": ["trading:read", "trading:read"]}),
        json!({"scopes": []}),
        json!({"name": "   "}),
        json!({"name": "x".repeat(101)}),
        json!({"nmae": "typo"}),
    ] {
        let (code, answer) = request(&server, "POST", path, token, Some(body.clone())).await;
        assert_eq!(code, 400, "{body} → {answer}");
        assert!(answer["errors"][0]["field"].is_string(), "{answer}");
    }
    for _ in 0..25 {
        let (code, answer) = request(&server, "POST", path, token, Some(json!({}))).await;
        assert_eq!(code, 200, "{answer}");
    }
    let request: meridian::types::ClientKeyCreateRequest = serde_json::from_value(json!({})).unwrap();
    let error = client_with_token(&server, &user.access_token)
        .create_client_key(&request)
        .await
        .unwrap_err();
    assert_eq!(status(&error), 409);
}

#[tokio::test]
async fn the_group_needs_a_user_credential_and_refuses_client_tokens() {
    let server = TestServer::start().await;
    let user = signed_in_user(&server, "keys-auth").await;
    let key = create_key(&server, &user.access_token, json!({})).await;
    let client = client_token(&server, &key).await;
    let path = "/api/users/me/client-keys";
    let one = format!("{path}/{}", key["id"].as_str().unwrap());
    for (method, path, body) in [
        ("POST", path, Some(json!({}))),
        ("GET", path, None),
        ("DELETE", one.as_str(), None),
    ] {
        let (code, answer) = request(&server, method, path, None, body.clone()).await;
        assert_eq!(code, 401, "{method} {path} anonymous: {answer}");
        let (code, answer) = request(&server, method, path, Some(&client), body).await;
        assert_eq!(code, 403, "{method} {path} with a client token: {answer}");
    }
    // The key survived the refused delete.
    let listed = client_with_token(&server, &user.access_token)
        .list_client_keys()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.len(), 1);
}

#[tokio::test]
async fn deleting_a_key_revokes_its_tokens_at_once() {
    let server = TestServer::start().await;
    let user = signed_in_user(&server, "keys-del").await;
    let sdk = client_with_token(&server, &user.access_token);
    let by_id = create_key(&server, &user.access_token, json!({})).await;
    let by_client_id = create_key(&server, &user.access_token, json!({})).await;
    let token = client_token(&server, &by_client_id).await;
    // Before: a valid client token, refused here with 403.
    let (code, _) = request(&server, "GET", "/api/users/me/client-keys", Some(&token), None).await;
    assert_eq!(code, 403);

    let id: meridian::types::DeleteClientKeyId = by_id["id"].as_str().unwrap().parse().unwrap();
    sdk.delete_client_key(&id).await.expect("deleted by id");
    let client_id: meridian::types::DeleteClientKeyId = by_client_id["clientId"].as_str().unwrap().parse().unwrap();
    let deleted = sdk.delete_client_key(&client_id).await.expect("deleted by clientId");
    assert_eq!(deleted.status().as_u16(), 204);
    // After: the token no longer authenticates at all.
    let (code, answer) = request(&server, "GET", "/api/users/me/client-keys", Some(&token), None).await;
    assert_eq!(code, 401, "{answer}");
    // Deleting again, or someone else's key, is 404.
    assert_eq!(status(&sdk.delete_client_key(&id).await.unwrap_err()), 404);
    let other = signed_in_user(&server, "keys-del-other").await;
    let theirs = create_key(&server, &other.access_token, json!({})).await;
    let theirs_id: meridian::types::DeleteClientKeyId = theirs["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(status(&sdk.delete_client_key(&theirs_id).await.unwrap_err()), 404);
    // An id longer than documented is 400.
    let long = format!("/api/users/me/client-keys/{}", "k".repeat(129));
    let (code, answer) = request(&server, "DELETE", &long, Some(&user.access_token), None).await;
    assert_eq!(code, 400, "{answer}");
    assert!(sdk.list_client_keys().await.unwrap().into_inner().is_empty());
}
