//! Who may use the credit operations: no token → 401; a user's `accessToken` cookie works
//! like the Bearer header; client tokens act for their user within their scopes
//! (`credit:read` reads the score and history, `credit:write` calculates).

use meridian::types::CalculateCreditScoreRequest;
use meridian_contract_tests::fixtures::{client_token_with_scopes, client_with_token, failure};
use serde_json::Value;

use super::support::{Card, T0, start};

fn body(force: bool) -> CalculateCreditScoreRequest {
    CalculateCreditScoreRequest {
        force_recalculation: force,
        wallet_address: None,
    }
}

#[tokio::test]
async fn the_credit_operations_need_a_credential() {
    let (server, _user, _client) = start("anonymous").await;
    let anonymous = server.client();
    for (status, answer) in [
        failure(anonymous.calculate_credit_score(&body(false)).await),
        failure(anonymous.get_credit_score().await),
        failure(anonymous.list_credit_history(None, None).await),
    ] {
        assert_eq!(status, 401, "{answer}");
        assert_eq!(answer["success"], false);
    }
    // No body at all and no token: still 401, not 400.
    let response = server
        .http()
        .post(format!("{}/api/credit/calculate-score", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn the_access_token_cookie_works_like_the_bearer_header() {
    let (server, user, client) = start("cookie").await;
    let cookie = format!("accessToken={}", user.access_token);
    let response = server
        .http()
        .post(format!("{}/api/credit/calculate-score", server.url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    let card = Card::of(&answer["data"]);
    assert_eq!(card.calculated_at_ms, T0);
    // The user's own score.
    let latest = client.get_credit_score().await.expect("200").into_inner().data;
    assert_eq!(latest.credit_score_id.as_str(), card.id);
    let response = server
        .http()
        .get(format!("{}/api/credit/history?page=1&per_page=20", server.url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn client_tokens_use_credit_within_their_scopes() {
    let (server, user, client) = start("scopes").await;

    // credit:read reads the score and the history, and may not calculate.
    let reader = client_with_token(
        &server,
        &client_token_with_scopes(&server, &user, &["credit:read"]).await,
    );
    assert_eq!(failure(reader.get_credit_score().await).0, 404, "no score yet");
    let (status, answer) = failure(reader.calculate_credit_score(&body(false)).await);
    assert_eq!(status, 403, "{answer}");
    assert_eq!(answer["success"], false);
    assert_eq!(
        failure(reader.get_credit_score().await).0,
        404,
        "the refused call calculated nothing"
    );
    let page = reader
        .list_credit_history(None, None)
        .await
        .expect("history")
        .into_inner();
    assert_eq!(page.data.pagination.total, 0);

    // credit:write calculates for the user, and reads nothing.
    let writer = client_with_token(
        &server,
        &client_token_with_scopes(&server, &user, &["credit:write"]).await,
    );
    let written = writer
        .calculate_credit_score(&body(true))
        .await
        .expect("calculated with credit:write")
        .into_inner()
        .data;
    assert_eq!(written.score, 616);
    assert_eq!(failure(writer.get_credit_score().await).0, 403);
    assert_eq!(failure(writer.list_credit_history(None, None).await).0, 403);

    // The reader and the user see the score the client token calculated.
    let read = reader.get_credit_score().await.expect("200").into_inner().data;
    assert_eq!(read.credit_score_id.as_str(), written.credit_score_id.as_str());
    let mine = client.get_credit_score().await.expect("200").into_inner().data;
    assert_eq!(mine.credit_score_id.as_str(), written.credit_score_id.as_str());

    // Both scopes: everything.
    let both = client_with_token(
        &server,
        &client_token_with_scopes(&server, &user, &["credit:read", "credit:write"]).await,
    );
    both.calculate_credit_score(&body(false)).await.expect("calculate");
    both.get_credit_score().await.expect("read");

    // Other groups' scopes are no credit scopes.
    let lender = client_with_token(
        &server,
        &client_token_with_scopes(&server, &user, &["loans:read", "loans:write", "trading:read"]).await,
    );
    assert_eq!(failure(lender.get_credit_score().await).0, 403);
    assert_eq!(failure(lender.calculate_credit_score(&body(false)).await).0, 403);
    assert_eq!(failure(lender.list_credit_history(None, None).await).0, 403);
}
