//! `/api/admin/users`, `/api/admin/sessions`, `/api/admin/stats` (Portal, seed 002): staff
//! read, admins change, bans revoke sessions at once.

use meridian_contract_tests::TestServer;
use meridian_contract_tests::fixtures::request;
use meridian_contract_tests::fixtures::{PASSWORD, SignedIn, login, set_role, signed_in_user};
use serde_json::{Value, json};

async fn with_role(server: &TestServer, prefix: &str, role: &str) -> SignedIn {
    let user = signed_in_user(server, prefix).await;
    set_role(server, &user.id, role).await;
    user
}

#[tokio::test]
async fn staff_read_users_with_filters_and_portal_pagination() {
    let server = TestServer::start().await;
    let staff = with_role(&server, "staff", "staff").await;
    let alice = signed_in_user(&server, "alice").await;
    signed_in_user(&server, "bob").await;
    let (status, body) = request(
        &server,
        "GET",
        "/api/admin/users?limit=2",
        Some(&staff.access_token),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["users"].as_array().unwrap().len(), 2);
    assert_eq!(
        body["pagination"],
        json!({"total": 3, "limit": 2, "offset": 0, "hasMore": true})
    );
    let (_, body) = request(
        &server,
        "GET",
        "/api/admin/users?role=staff",
        Some(&staff.access_token),
        None,
    )
    .await;
    assert_eq!(body["pagination"]["total"], 1);
    let (_, body) = request(
        &server,
        "GET",
        "/api/admin/users?search=ALICE",
        Some(&staff.access_token),
        None,
    )
    .await;
    assert_eq!(body["users"][0]["id"], alice.id.as_str());
    let (_, body) = request(
        &server,
        "GET",
        "/api/admin/users?search=%25",
        Some(&staff.access_token),
        None,
    )
    .await;
    assert_eq!(body["pagination"]["total"], 0, "LIKE wildcards are literal");
    let (status, body) = request(
        &server,
        "GET",
        &format!("/api/admin/users/{}", alice.id),
        Some(&staff.access_token),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["user"]["email"], alice.email.as_str());
    assert_eq!(body["user"]["emailVerified"], false);
    let (status, _) = request(
        &server,
        "GET",
        "/api/admin/users/user-nobody",
        Some(&staff.access_token),
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = request(
        &server,
        "GET",
        &format!("/api/admin/users/{}", "u".repeat(129)),
        Some(&staff.access_token),
        None,
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = request(
        &server,
        "GET",
        "/api/admin/users?limit=0",
        Some(&staff.access_token),
        None,
    )
    .await;
    assert_eq!(status, 400);
    // A plain user may not.
    let (status, _) = request(&server, "GET", "/api/admin/users", Some(&alice.access_token), None).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn admins_ban_and_the_ban_takes_effect_at_once() {
    let server = TestServer::start().await;
    let admin = with_role(&server, "admin", "admin").await;
    let staff = with_role(&server, "staffer", "staff").await;
    let target = signed_in_user(&server, "target").await;
    let path = format!("/api/admin/users/{}", target.id);
    // Staff may not change users.
    let (status, _) = request(
        &server,
        "PATCH",
        &path,
        Some(&staff.access_token),
        Some(json!({"banned": true})),
    )
    .await;
    assert_eq!(status, 403);
    let (status, body) = request(
        &server,
        "PATCH",
        &path,
        Some(&admin.access_token),
        Some(json!({"banned": true, "banReason": "spam", "name": "Target"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["banned"], true);
    assert_eq!(body["user"]["banReason"], "spam");
    let (status, _) = request(&server, "GET", "/api/users/me", Some(&target.access_token), None).await;
    assert_eq!(status, 401, "sessions revoked by the ban");
    let response = server
        .http()
        .post(format!("{}/api/auth/login", server.url))
        .json(&json!({"email": target.email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403, "banned users cannot sign in");
    let (status, body) = request(
        &server,
        "PATCH",
        &path,
        Some(&admin.access_token),
        Some(json!({"banned": false})),
    )
    .await;
    assert_eq!((status, body["user"]["banReason"].clone()), (200, Value::Null));
    login(&server, &target.email, PASSWORD).await;
    // Rules: a reason without a ban, a past expiry, unknown users, and admins on themselves.
    let (status, _) = request(
        &server,
        "PATCH",
        &path,
        Some(&admin.access_token),
        Some(json!({"banReason": "x"})),
    )
    .await;
    assert_eq!(status, 400);
    let past = json!({"banned": true, "banExpires": "2020-01-01T00:00:00.000Z"});
    let (status, _) = request(&server, "PATCH", &path, Some(&admin.access_token), Some(past)).await;
    assert_eq!(status, 400);
    let (status, _) = request(
        &server,
        "PATCH",
        "/api/admin/users/user-nobody",
        Some(&admin.access_token),
        Some(json!({"name": "x"})),
    )
    .await;
    assert_eq!(status, 404);
    let own = format!("/api/admin/users/{}", admin.id);
    let (status, _) = request(
        &server,
        "PATCH",
        &own,
        Some(&admin.access_token),
        Some(json!({"role": "user"})),
    )
    .await;
    assert_eq!(status, 409);
}

#[tokio::test]
async fn admins_list_and_revoke_any_session_and_read_stats() {
    let server = TestServer::start().await;
    let admin = with_role(&server, "sadmin", "admin").await;
    let staff = with_role(&server, "sstaff", "staff").await;
    let user = signed_in_user(&server, "suser").await;
    let (status, body) = request(
        &server,
        "GET",
        &format!("/api/admin/sessions?userId={}", user.id),
        Some(&staff.access_token),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let session = body["sessions"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(body["sessions"].as_array().unwrap().len(), 1);
    let (status, _) = request(
        &server,
        "GET",
        "/api/admin/sessions?limit=500",
        Some(&staff.access_token),
        None,
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = request(&server, "GET", "/api/admin/sessions", Some(&user.access_token), None).await;
    assert_eq!(status, 403);
    let path = format!("/api/admin/sessions/{session}");
    let (status, _) = request(&server, "DELETE", &path, Some(&staff.access_token), None).await;
    assert_eq!(status, 403, "staff read, admins change");
    let (status, _) = request(&server, "DELETE", &path, Some(&admin.access_token), None).await;
    assert_eq!(status, 200);
    let (status, _) = request(&server, "GET", "/api/users/me", Some(&user.access_token), None).await;
    assert_eq!(status, 401);
    let (status, _) = request(
        &server,
        "DELETE",
        "/api/admin/sessions/session-nobody",
        Some(&admin.access_token),
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = request(
        &server,
        "DELETE",
        &format!("/api/admin/sessions/{}", "s".repeat(129)),
        Some(&admin.access_token),
        None,
    )
    .await;
    assert_eq!(status, 400);
    let (status, stats) = request(&server, "GET", "/api/admin/stats", Some(&staff.access_token), None).await;
    assert_eq!(status, 200);
    assert_eq!(
        stats["users"],
        json!({"total": 3, "admins": 1, "staff": 1, "banned": 0, "regular": 1})
    );
    assert_eq!(stats["sessions"]["total"], 3);
    assert_eq!(stats["sessions"]["active"], 2);
    let (status, _) = request(&server, "GET", "/api/admin/stats", Some(&user.access_token), None).await;
    assert_eq!(status, 401, "revoked above");
    let other = signed_in_user(&server, "plain").await;
    let (status, _) = request(&server, "GET", "/api/admin/stats", Some(&other.access_token), None).await;
    assert_eq!(status, 403);
}
