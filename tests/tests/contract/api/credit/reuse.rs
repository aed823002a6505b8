//! The 24-hour reuse of `POST /api/credit/calculate-score` (driven by the server's clock),
//! `force_recalculation`, and `GET /api/credit/score`: 404 before any score, then the
//! latest one whatever its age, always `reused`; a loan application calculates the score it
//! needs when there is no fresh one, visible there afterwards.

use meridian_contract_tests::TestServer;
use meridian_contract_tests::fixtures::{client_with_token, failure, request, signed_in_user};
use serde_json::json;

use super::support::{
    Card, DAY, HOUR, MINUTE, NEW_CREDIT, SEED_WALLET, T0, apply, calculate, d, force, personal, start,
};

#[tokio::test]
async fn a_score_younger_than_24_hours_is_reused_unless_forced() {
    let (server, user, _client) = start("reuse").await;
    let token = user.access_token.as_str();
    let clock = &server.state().clock;

    let first = calculate(&server, token, json!({})).await;
    assert!(!first.reused);
    assert_eq!(first.calculated_at_ms, T0);

    // Within 24 hours: the same score, id and time, marked reused.
    for (at, body) in [
        (T0, json!({})),
        (T0 + HOUR, json!({"force_recalculation": false})),
        (T0 + DAY - 1, json!({})),
    ] {
        clock.set_ms(at);
        let again = calculate(&server, token, body.clone()).await;
        assert!(again.reused, "{body} at +{} ms", at - T0);
        assert_eq!(again.id, first.id);
        assert_eq!(again.calculated_at, first.calculated_at);
        assert_eq!(again.outcome(), first.outcome());
    }

    // Forced: a new score now, not reused.
    let forced = calculate(&server, token, json!({"force_recalculation": true})).await;
    assert!(!forced.reused);
    assert_ne!(forced.id, first.id);
    assert_eq!(forced.calculated_at_ms, T0 + DAY - 1);

    // The window now runs from the forced score.
    clock.set_ms(T0 + DAY + 1);
    let again = calculate(&server, token, json!({})).await;
    assert!(again.reused);
    assert_eq!(again.id, forced.id);

    // 24 hours and 1 ms after it: a new score.
    clock.set_ms(forced.calculated_at_ms + DAY + 1);
    let fresh = calculate(&server, token, json!({})).await;
    assert!(!fresh.reused);
    assert_ne!(fresh.id, forced.id);
    assert_eq!(fresh.calculated_at_ms, forced.calculated_at_ms + DAY + 1);

    // Exactly 24 hours old is no longer younger than 24 hours.
    clock.set_ms(fresh.calculated_at_ms + DAY);
    let next = calculate(&server, token, json!({})).await;
    assert!(!next.reused);
    assert_ne!(next.id, fresh.id);
    assert_eq!(next.calculated_at_ms, fresh.calculated_at_ms + DAY);
}

/// `GET /api/credit/score`, which must answer 200: the score.
async fn read_latest(server: &TestServer, token: &str) -> Card {
    let (status, body) = request(server, "GET", "/api/credit/score", Some(token), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["success"], true);
    Card::of(&body["data"])
}

#[tokio::test]
async fn get_score_is_404_before_any_calculation_then_the_latest_always_reused() {
    let (server, user, client) = start("latest").await;
    let token = user.access_token.as_str();

    let (status, body) = failure(client.get_credit_score().await);
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["success"], false);
    assert_eq!(body["error"], "Not Found");
    assert!(!body["message"].as_str().unwrap().is_empty());
    assert!(!body["request_id"].as_str().unwrap().is_empty());

    let calculated = calculate(&server, token, json!({"walletAddress": SEED_WALLET})).await;
    let latest = read_latest(&server, token).await;
    assert!(latest.reused, "GET never calculates");
    assert_eq!(
        (&latest.id, &latest.calculated_at, latest.outcome(), &latest.wallet),
        (
            &calculated.id,
            &calculated.calculated_at,
            calculated.outcome(),
            &calculated.wallet
        )
    );

    // Whatever its age.
    server.state().clock.set_ms(T0 + 30 * DAY);
    let old = read_latest(&server, token).await;
    assert!(old.reused);
    assert_eq!(old.id, calculated.id);
    assert_eq!(old.calculated_at_ms, T0);

    // The latest calculation, once there is a newer one.
    let forced = force(&client).await;
    let latest = read_latest(&server, token).await;
    assert_eq!(latest.id, forced.id);
    assert_eq!(latest.calculated_at_ms, T0 + 30 * DAY);
    assert!(latest.reused);

    // Through the SDK too.
    let typed = client.get_credit_score().await.expect("200").into_inner().data;
    assert_eq!(typed.credit_score_id.to_string(), forced.id);
    assert_eq!(typed.reused, Some(true));

    // Another user still has none.
    let other = signed_in_user(&server, "other").await;
    let (status, _) = failure(client_with_token(&server, &other.access_token).get_credit_score().await);
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_loan_application_calculates_the_score_it_needs() {
    let (server, user, client) = start("apply-score").await;
    let token = user.access_token.as_str();
    assert_eq!(failure(client.get_credit_score().await).0, 404);

    // No score yet: applying calculates one (before its own credit inquiry counts).
    let loan = apply(&server, token, personal("10000", 36, "5.5")).await;
    let first = read_latest(&server, token).await;
    assert_eq!(first.calculated_at_ms, T0);
    assert_eq!(loan["credit_score_at_application"], first.score);
    assert_eq!(first.score, 616, "the brand-new account's score");

    // Within 24 hours the next application reuses it, although the first inquiry now counts.
    server.state().clock.set_ms(T0 + 10 * MINUTE);
    let loan = apply(&server, token, personal("2000", 12, "6")).await;
    assert_eq!(loan["credit_score_at_application"], first.score);
    assert_eq!(read_latest(&server, token).await.id, first.id);

    // A day later it is recalculated: two applications now count (new credit 33 points).
    server.state().clock.set_ms(T0 + DAY);
    let loan = apply(&server, token, personal("3000", 12, "6")).await;
    let second = read_latest(&server, token).await;
    assert_ne!(second.id, first.id);
    assert_eq!(second.calculated_at_ms, T0 + DAY);
    assert_eq!(second.points[NEW_CREDIT], d("33"));
    assert_eq!(loan["credit_score_at_application"], second.score);
    assert_eq!(second.score, 594, "616 − 22 points of new credit");
}
