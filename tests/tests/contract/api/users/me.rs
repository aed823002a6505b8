//! `/api/users/me` and below (accounts group): Bloq's user, updates with EIP-55 wallets,
//! password change revoking other sessions, deletion, audit events, sessions, and Bloq's
//! email verification by path.

use meridian_contract_tests::TestServer;
use meridian_contract_tests::fixtures::request;
use meridian_contract_tests::fixtures::{
    PASSWORD, client_with_token, login, read_mail, register, signed_in_user, unique_email,
};
use serde_json::{Value, json};

#[tokio::test]
async fn the_current_user_has_bloqs_shape_with_nulls_until_set() {
    let server = TestServer::start().await;
    let user = signed_in_user(&server, "me").await;
    let me = client_with_token(&server, &user.access_token)
        .get_current_user()
        .await
        .expect("200")
        .into_inner();
    let me = serde_json::to_value(&me).unwrap();
    assert_eq!(me["email"], user.email.as_str());
    assert_eq!(me["displayName"], Value::Null);
    assert_eq!(me["verifiedAt"], Value::Null);
    assert_eq!(me["entityType"], "individual");
    assert_eq!(
        me["billingAddress"],
        json!({"country": null, "zipCode": null, "address": null, "state": null})
    );
    assert_eq!(me["role"], "user");
    assert_eq!(me["status"], "pending");
    assert_eq!(me["twoFactorEnabled"], false);
}

#[tokio::test]
async fn updates_are_partial_and_wallets_are_checksummed() {
    let server = TestServer::start().await;
    let user = signed_in_user(&server, "patch").await;
    let (status, body) = request(
        &server,
        "PATCH",
        "/api/users/me",
        Some(&user.access_token),
        Some(json!({"displayName": "Ada", "billingAddress": {"country": "GB", "zipCode": "N1 9GU"}})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["displayName"], "Ada");
    assert_eq!(body["billingAddress"]["country"], "GB");
    assert_eq!(body["billingAddress"]["address"], Value::Null);
    let (status, body) = request(
        &server,
        "PATCH",
        "/api/users/me",
        Some(&user.access_token),
        Some(json!({"billingAddress": {"state": "London"}})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["billingAddress"]["country"], "GB", "kept");
    assert_eq!(body["billingAddress"]["state"], "London");
    // The seed's address is valid; flipping one letter's case breaks the checksum.
    let seed = "0x742d35Cc6634C0532925a3b844Bc454e4438f44e";
    let (status, body) = request(
        &server,
        "PATCH",
        "/api/users/me",
        Some(&user.access_token),
        Some(json!({"walletAddress": seed})),
    )
    .await;
    assert_eq!((status, body["walletAddress"].clone()), (200, json!(seed)));
    let flipped = "0x742d35cc6634C0532925a3b844Bc454e4438f44e";
    let (status, body) = request(
        &server,
        "PATCH",
        "/api/users/me",
        Some(&user.access_token),
        Some(json!({"walletAddress": flipped})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["field"], "walletAddress");
    // Another account cannot link the same wallet (even written in lower case).
    let other = signed_in_user(&server, "other").await;
    let (status, _) = request(
        &server,
        "PATCH",
        "/api/users/me",
        Some(&other.access_token),
        Some(json!({"walletAddress": seed.to_lowercase()})),
    )
    .await;
    assert_eq!(status, 409);
    // null unlinks; unknown or forbidden fields are named.
    let (status, body) = request(
        &server,
        "PATCH",
        "/api/users/me",
        Some(&user.access_token),
        Some(json!({"walletAddress": null})),
    )
    .await;
    assert_eq!((status, body["walletAddress"].clone()), (200, Value::Null));
    let (status, body) = request(
        &server,
        "PATCH",
        "/api/users/me",
        Some(&user.access_token),
        Some(json!({"email": "x@y.co"})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["field"], "email");
}

#[tokio::test]
async fn changing_the_password_revokes_the_other_sessions_only() {
    let server = TestServer::start().await;
    let first = signed_in_user(&server, "pw").await;
    let second = login(&server, &first.email, PASSWORD).await;
    let body = json!({"oldPassword": PASSWORD, "newPassword": "EvenBetter456$"});
    let (status, reply) = request(
        &server,
        "PUT",
        "/api/users/me/password",
        Some(&first.access_token),
        Some(body),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["ok"], true);
    let (status, _) = request(&server, "GET", "/api/users/me", Some(&first.access_token), None).await;
    assert_eq!(status, 200, "this session stays");
    let (status, _) = request(&server, "GET", "/api/users/me", Some(&second.access_token), None).await;
    assert_eq!(status, 401, "the other session is revoked at once");
    login(&server, &first.email, "EvenBetter456$").await;
    // Policy, sameness and a wrong old password.
    let weak = json!({"oldPassword": "EvenBetter456$", "newPassword": "weak"});
    let (status, reply) = request(
        &server,
        "PUT",
        "/api/users/me/password",
        Some(&first.access_token),
        Some(weak),
    )
    .await;
    assert_eq!(
        (status, reply["errors"][0]["field"].clone()),
        (400, json!("newPassword"))
    );
    let wrong = json!({"oldPassword": "Nope123456!", "newPassword": "Another789%"});
    let (status, _) = request(
        &server,
        "PUT",
        "/api/users/me/password",
        Some(&first.access_token),
        Some(wrong.clone()),
    )
    .await;
    assert_eq!(status, 401);
    for _ in 0..4 {
        request(
            &server,
            "PUT",
            "/api/users/me/password",
            Some(&first.access_token),
            Some(wrong.clone()),
        )
        .await;
    }
    let (status, _) = request(
        &server,
        "PUT",
        "/api/users/me/password",
        Some(&first.access_token),
        Some(wrong),
    )
    .await;
    assert_eq!(status, 423, "wrong old passwords count toward the lockout");
}

#[tokio::test]
async fn deleting_the_account_needs_the_password_and_frees_the_email() {
    let server = TestServer::start().await;
    let user = signed_in_user(&server, "bye").await;
    let (status, _) = request(
        &server,
        "DELETE",
        "/api/users/me",
        Some(&user.access_token),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = request(
        &server,
        "DELETE",
        "/api/users/me",
        Some(&user.access_token),
        Some(json!({"password": "Wrong123!x"})),
    )
    .await;
    assert_eq!(status, 401);
    let (status, body) = request(
        &server,
        "DELETE",
        "/api/users/me",
        Some(&user.access_token),
        Some(json!({"password": PASSWORD})),
    )
    .await;
    assert_eq!((status, body["ok"].clone()), (200, json!(true)));
    let (status, _) = request(&server, "GET", "/api/users/me", Some(&user.access_token), None).await;
    assert_eq!(status, 401, "sessions are gone");
    register(&server, &user.email, PASSWORD).await;
    let again = login(&server, &user.email, PASSWORD).await;
    assert_ne!(again.id, user.id);
}

#[tokio::test]
async fn a_locked_account_cannot_be_deleted_and_the_last_admin_cannot_leave() {
    let server = TestServer::start().await;
    let user = signed_in_user(&server, "lockdel").await;
    for _ in 0..5 {
        request(
            &server,
            "DELETE",
            "/api/users/me",
            Some(&user.access_token),
            Some(json!({"password": "Wrong123!x"})),
        )
        .await;
    }
    let (status, _) = request(
        &server,
        "DELETE",
        "/api/users/me",
        Some(&user.access_token),
        Some(json!({"password": PASSWORD})),
    )
    .await;
    assert_eq!(status, 423);
    let admin = signed_in_user(&server, "soleadmin").await;
    meridian_contract_tests::fixtures::set_role(&server, &admin.id, "admin").await;
    let (status, _) = request(
        &server,
        "DELETE",
        "/api/users/me",
        Some(&admin.access_token),
        Some(json!({"password": PASSWORD})),
    )
    .await;
    assert_eq!(status, 409);
}

#[tokio::test]
async fn every_authenticated_request_leaves_an_event_without_secrets() {
    let server = TestServer::start().await;
    let user = signed_in_user(&server, "events").await;
    request(&server, "GET", "/api/users/me", Some(&user.access_token), None).await;
    request(
        &server,
        "PATCH",
        "/api/users/me",
        Some(&user.access_token),
        Some(json!({"displayName": "Ev"})),
    )
    .await;
    let response = server
        .http()
        .get(format!("{}/api/users/me/events?limit=10", server.url))
        .bearer_auth(&user.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-total-count"], "2");
    let text = response.text().await.unwrap();
    assert!(
        !text.contains(&user.access_token) && !text.contains(PASSWORD),
        "no secrets: {text}"
    );
    let events: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["service"], "update_current_user", "newest first");
    assert_eq!(events[1]["service"], "get_current_user");
    assert_eq!(events[0]["output"]["httpStatusCode"], 200);
    assert!(events[0]["output"]["bytesOut"].as_i64().unwrap() > 0);
    assert_eq!(events[0]["serviceData"]["credential"], "access_token");
    assert_eq!(events[0]["user"], user.id.as_str());
    let (status, _) = request(
        &server,
        "GET",
        "/api/users/me/events?limit=0",
        Some(&user.access_token),
        None,
    )
    .await;
    assert_eq!(status, 400);
    let page = client_with_token(&server, &user.access_token)
        .list_events(Some(1.try_into().unwrap()), Some(1))
        .await;
    assert_eq!(page.expect("200").into_inner().len(), 1);
}

#[tokio::test]
async fn sessions_are_listed_newest_first_and_revoked_one_by_one() {
    let server = TestServer::start().await;
    let first = signed_in_user(&server, "sess").await;
    let second = login(&server, &first.email, PASSWORD).await;
    let (status, body) = request(
        &server,
        "GET",
        "/api/users/me/sessions",
        Some(&second.access_token),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let sessions = body["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions[0]["current"], true, "the newest is this one");
    let older = sessions[1]["id"].as_str().unwrap().to_owned();
    let (status, _) = request(
        &server,
        "DELETE",
        &format!("/api/users/me/sessions/{older}"),
        Some(&second.access_token),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = request(&server, "GET", "/api/users/me", Some(&first.access_token), None).await;
    assert_eq!(status, 401, "the revoked session's token stops at once");
    let (status, body) = request(
        &server,
        "GET",
        "/api/users/me/sessions?active=true",
        Some(&second.access_token),
        None,
    )
    .await;
    assert_eq!((status, body["sessions"].as_array().unwrap().len()), (200, 1));
    let (status, _) = request(
        &server,
        "GET",
        "/api/users/me/sessions?limit=101",
        Some(&second.access_token),
        None,
    )
    .await;
    assert_eq!(status, 400);
    // Someone else's session is not found; an over-long id is a 400.
    let stranger = signed_in_user(&server, "stranger").await;
    let (status, body) = request(
        &server,
        "GET",
        "/api/users/me/sessions",
        Some(&stranger.access_token),
        None,
    )
    .await;
    let theirs = body["sessions"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(status, 200);
    let (status, _) = request(
        &server,
        "DELETE",
        &format!("/api/users/me/sessions/{theirs}"),
        Some(&second.access_token),
        None,
    )
    .await;
    assert_eq!(status, 404);
    let long = "s".repeat(129);
    let (status, _) = request(
        &server,
        "DELETE",
        &format!("/api/users/me/sessions/{long}"),
        Some(&second.access_token),
        None,
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn bloq_verification_by_path_activates_the_account_once() {
    let server = TestServer::start().await;
    let email = unique_email("bloqverify");
    let id = register(&server, &email, PASSWORD).await;
    let token = read_mail(&server, &email, "verify_email").await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = register(&server, &unique_email("other"), PASSWORD).await;
    let put = |user: String, token: String| {
        let http = server.http();
        let url = format!("{}/api/users/{user}/token/{token}", server.url);
        async move { http.put(url).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(put(other.clone(), token.clone()).await, 400, "a token of another user");
    assert_eq!(put("user-nobody".into(), token.clone()).await, 404);
    assert_eq!(put(id.clone(), token.clone()).await, 200);
    assert_eq!(put(id.clone(), token).await, 400, "used once");
    let user = login(&server, &email, PASSWORD).await;
    let (_, me) = request(&server, "GET", "/api/users/me", Some(&user.access_token), None).await;
    assert_eq!(me["status"], "active");
    assert!(me["verifiedAt"].as_str().is_some());
}

#[tokio::test]
async fn a_banned_admin_does_not_count_as_the_remaining_admin() {
    use meridian_contract_tests::fixtures::{request, set_role};
    let server = TestServer::start().await;
    let active = signed_in_user(&server, "active-admin").await;
    let banned = signed_in_user(&server, "banned-admin").await;
    set_role(&server, &active.id, "admin").await;
    set_role(&server, &banned.id, "admin").await;
    let path = format!("/api/admin/users/{}", banned.id);
    let (status, _) = request(
        &server,
        "PATCH",
        &path,
        Some(&active.access_token),
        Some(json!({"banned": true})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = request(
        &server,
        "DELETE",
        "/api/users/me",
        Some(&active.access_token),
        Some(json!({"password": PASSWORD})),
    )
    .await;
    assert_eq!(status, 409, "{body}");
}
