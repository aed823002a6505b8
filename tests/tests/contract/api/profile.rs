//! `GET /api/profile` (seed 003's shape), and its credit-score fields.

use meridian_contract_tests::TestServer;
use meridian_contract_tests::fixtures::{client_with_token, request, signed_in_user};
use serde_json::{Value, json};

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

/// `profile.credit_score` and `profile.last_score_update` are `null` before the first score,
/// then the latest score and its `calculated_at`.
#[tokio::test]
async fn the_profile_shows_the_latest_credit_score() {
    let server = TestServer::start().await;
    let t0 = 1_772_532_000_000; // 2026-03-03T10:00:00Z
    server.state().clock.set_ms(t0);
    let user = signed_in_user(&server, "profile-score").await;
    let client = client_with_token(&server, &user.access_token);
    let raw_profile = || async {
        let (status, body) = request(&server, "GET", "/api/profile", Some(&user.access_token), None).await;
        assert_eq!(status, 200, "{body}");
        body["data"]["profile"].clone()
    };
    let calculate = |force: bool| {
        let client = &client;
        async move {
            let body = meridian::types::CalculateCreditScoreRequest {
                force_recalculation: force,
                wallet_address: None,
            };
            client
                .calculate_credit_score(&body)
                .await
                .expect("200")
                .into_inner()
                .data
        }
    };

    // Sent as null (never missing) before any score.
    let before = raw_profile().await;
    assert_eq!(before["credit_score"], Value::Null);
    assert_eq!(before["last_score_update"], Value::Null);

    let first = calculate(false).await;
    let after = raw_profile().await;
    assert_eq!(after["credit_score"], first.score);
    assert_eq!(after["last_score_update"], "2026-03-03T10:00:00.000Z");
    let typed = client.get_profile().await.expect("200").into_inner().data.profile;
    assert_eq!(typed.credit_score.map(i64::from), Some(first.score));
    assert_eq!(typed.last_score_update, Some(first.calculated_at));

    // A trade raises the score; an hour later a new calculation replaces the first.
    let (status, _) = request(
        &server,
        "POST",
        "/api/trading/order",
        Some(&user.access_token),
        Some(json!({"symbol":"BTCUSDT","side":"BUY","type":"MARKET","quoteOrderQty":"100"})),
    )
    .await;
    assert_eq!(status, 201);
    server.state().clock.set_ms(t0 + 3_600_000);
    let second = calculate(true).await;
    assert_ne!(second.score, first.score, "the trade moved the score");
    let latest = raw_profile().await;
    assert_eq!(latest["credit_score"], second.score);
    assert_eq!(latest["last_score_update"], "2026-03-03T11:00:00.000Z");

    // Reusing or reading the score changes nothing.
    assert_eq!(calculate(false).await.reused, Some(true));
    client.get_credit_score().await.expect("200");
    assert_eq!(raw_profile().await, latest);
}
