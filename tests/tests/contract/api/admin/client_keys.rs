//! `/api/admin/client-keys`: Portal's API-key list (seed 002) over every user's client keys,
//! for staff and admins, with the owner, filters and limit/offset.

use meridian_contract_tests::TestServer;
use meridian_contract_tests::fixtures::{client_with_token, set_role, signed_in_user};
use serde_json::{Value, json};

async fn get(server: &TestServer, query: &str, token: Option<&str>) -> (u16, Value) {
    let mut request = server
        .http()
        .get(format!("{}/api/admin/client-keys{query}", server.url));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn create_key(server: &TestServer, token: &str, name: &str) -> Value {
    let request: meridian::types::ClientKeyCreateRequest = serde_json::from_value(json!({"name": name})).unwrap();
    let created = client_with_token(server, token)
        .create_client_key(&request)
        .await
        .expect("key created")
        .into_inner();
    serde_json::to_value(created).unwrap()
}

fn ids(list: &Value) -> Vec<String> {
    list["apiKeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn staff_list_every_key_with_its_owner() {
    let server = TestServer::start().await;
    let alice = signed_in_user(&server, "ak-alice").await;
    let bob = signed_in_user(&server, "ak-bob").await;
    let staff = signed_in_user(&server, "ak-staff").await;
    set_role(&server, &staff.id, "staff").await;
    let a1 = create_key(&server, &alice.access_token, "alice one").await;
    let b1 = create_key(&server, &bob.access_token, "bob one").await;
    let a2 = create_key(&server, &alice.access_token, "alice two").await;

    let list = client_with_token(&server, &staff.access_token)
        .admin_list_client_keys(None, None, None, None)
        .await
        .expect("staff may list")
        .into_inner();
    let all = serde_json::to_value(&list).unwrap();
    let newest_first: Vec<String> = [&a2, &b1, &a1]
        .iter()
        .map(|k| k["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids(&all), newest_first);
    let first = &all["apiKeys"][0];
    assert_eq!(first["userId"], alice.id.as_str());
    assert_eq!(first["user"]["email"], alice.email.as_str());
    assert_eq!(first["user"]["name"], Value::Null);
    assert_eq!(first["name"], "alice two");
    assert_eq!(first["enabled"], true);
    assert_eq!(first["clientId"], a2["clientId"]);
    assert!(first.get("clientSecret").is_none());

    let (code, only_bob) = get(&server, &format!("?userId={}", bob.id), Some(&staff.access_token)).await;
    assert_eq!(code, 200);
    assert_eq!(ids(&only_bob), vec![b1["id"].as_str().unwrap().to_owned()]);
    let (_, nobody) = get(&server, "?userId=user-unknown", Some(&staff.access_token)).await;
    assert_eq!(nobody, json!({"apiKeys": []}));
    let (_, page) = get(&server, "?limit=1&offset=1", Some(&staff.access_token)).await;
    assert_eq!(ids(&page), vec![b1["id"].as_str().unwrap().to_owned()]);

    // Banning Bob disables his keys.
    let mut conn = server.state().db.conn().await.unwrap();
    let mut row = meridian_server::db::users::find(&mut conn, &bob.id).await.unwrap();
    row.banned = true;
    meridian_server::db::users::save(&mut conn, &row).await.unwrap();
    drop(conn);
    let (_, disabled) = get(&server, "?enabled=false", Some(&staff.access_token)).await;
    assert_eq!(ids(&disabled), vec![b1["id"].as_str().unwrap().to_owned()]);
    assert_eq!(disabled["apiKeys"][0]["enabled"], false);
    let (_, enabled) = get(&server, "?enabled=true", Some(&staff.access_token)).await;
    assert_eq!(ids(&enabled).len(), 2);

    // Admins may list too.
    set_role(&server, &staff.id, "admin").await;
    let (code, _) = get(&server, "", Some(&staff.access_token)).await;
    assert_eq!(code, 200);
}

#[tokio::test]
async fn users_anonymous_callers_and_bad_limits_are_refused() {
    let server = TestServer::start().await;
    let user = signed_in_user(&server, "ak-user").await;
    let error = client_with_token(&server, &user.access_token)
        .admin_list_client_keys(None, None, None, None)
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(403));
    let (code, _) = get(&server, "", None).await;
    assert_eq!(code, 401);
    set_role(&server, &user.id, "staff").await;
    for query in ["?limit=101", "?limit=0", "?offset=-1", "?enabled=maybe", "?userId="] {
        let (code, answer) = get(&server, query, Some(&user.access_token)).await;
        assert_eq!(code, 400, "{query}: {answer}");
    }
}
