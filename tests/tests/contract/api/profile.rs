//! `GET /api/profile` (seed 003's shape).

use meridian_contract_tests::TestServer;
use meridian_contract_tests::fixtures::{client_with_token, signed_in_user};
use serde_json::Value;

#[tokio::test]
async fn the_profile_has_seed_003s_shape() {
    let server = TestServer::start().await;
    let user = signed_in_user(&server, "profile").await;
    let profile = client_with_token(&server, &user.access_token)
        .get_profile()
        .await
        .expect("200")
        .into_inner();
    let profile = serde_json::to_value(&profile).unwrap();
    assert_eq!(profile["success"], true);
    assert_eq!(profile["data"]["id"], user.id.as_str());
    assert_eq!(profile["data"]["status"], "pending");
    assert!(profile["data"]["last_login"].as_str().is_some());
    assert_eq!(profile["data"]["profile"]["kyc_status"], "not_started");
    assert_eq!(profile["data"]["profile"]["credit_score"], Value::Null);
    assert_eq!(profile["data"]["profile"]["wallet_address"], Value::Null);
}
