//! The Rust SDK's own behaviour against the live server: sign-in that manages the tokens,
//! the refresh once on a 401, a reused refresh token ending in a clean 401, retries that
//! honour `Retry-After` only where a retry cannot act twice, and the typed error.

use std::time::{Duration, Instant};

use meridian::{Client, RetryPolicy};
use meridian_contract_tests::TestServer;
use meridian_contract_tests::fixtures::{PASSWORD, create_key, register, signed_in_user, unique_email};
use meridian_server::ratelimit::RateLimitMode;
use serde_json::json;

#[tokio::test]
async fn login_carries_the_token_and_logout_forgets_it() {
    let server = TestServer::start().await;
    let email = unique_email("sdk-login");
    register(&server, &email, PASSWORD).await;
    let client = Client::new(&server.url).unwrap();

    // Anonymous: the profile is a 401 in the typed error, with the server's request id.
    let error = client
        .api()
        .get_profile()
        .await
        .map_err(meridian::Error::from)
        .unwrap_err();
    assert!(error.is_unauthorized(), "{error}");
    let request_id = error.request_id().expect("a request id").to_owned();
    assert!(request_id.starts_with("req-"), "{request_id}");
    let text = error.to_string();
    assert!(text.starts_with("401 Unauthorized: "), "{text}");
    assert!(text.contains(&request_id), "{text}");

    let signed_in = client.login(&email, PASSWORD).await.unwrap();
    assert_eq!(signed_in.user.email, email);
    let profile = client.api().get_profile().await.unwrap();
    assert_eq!(profile.data.email, email);
    // Clones share the session.
    let clone = client.clone();
    assert_eq!(clone.api().get_profile().await.unwrap().data.email, email);

    client.logout().await.unwrap();
    let error = meridian::Error::from(client.api().get_profile().await.unwrap_err());
    assert!(error.is_unauthorized(), "{error}");
    // The old access token was revoked by the server too.
    let stale = Client::with_token(&server.url, signed_in.tokens.access_token.clone()).unwrap();
    assert!(meridian::Error::from(stale.api().get_profile().await.unwrap_err()).is_unauthorized());

    // A wrong password is the typed 401 as well, never a stored session.
    let error = client.login(&email, "Wrong-password-1!").await.unwrap_err();
    assert!(error.is_unauthorized(), "{error}");
    assert!(client.api().get_profile().await.is_err());
}

#[tokio::test]
async fn a_refused_access_token_is_refreshed_once_and_the_call_succeeds() {
    let server = TestServer::start().await;
    let user = signed_in_user(&server, "sdk-refresh").await;
    let client = Client::new(&server.url).unwrap();
    // A stale access token with a good refresh token: the first call meets a 401.
    client
        .resume_session("not-a-valid-token", user.refresh_token.clone())
        .await;
    let profile = client.api().get_profile().await.unwrap();
    assert_eq!(profile.data.id, user.id);
    assert_eq!(client.attempts(), 3, "the 401, the refresh, the repeat");
    // The refreshed token serves the next calls without another refresh.
    client.api().get_profile().await.unwrap();
    assert_eq!(client.attempts(), 4);

    // Concurrent calls on a stale token share one refresh.
    let user = signed_in_user(&server, "sdk-refresh-many").await;
    let client = Client::new(&server.url).unwrap();
    client.resume_session("stale", user.refresh_token.clone()).await;
    let calls = (0..8).map(|_| {
        let client = client.clone();
        async move { client.api().get_profile().await.map(|p| p.into_inner().data.id) }
    });
    for id in futures_util::future::join_all(calls).await {
        assert_eq!(id.unwrap(), user.id);
    }
    // Each call sent at most its 401 and its repeat; the refresh happened once (a second
    // would have reused the rotated token and revoked the session, failing calls above).
    assert!(client.attempts() <= 8 * 2 + 1, "{}", client.attempts());
}

#[tokio::test]
async fn a_reused_refresh_token_ends_in_a_clean_401() {
    let server = TestServer::start().await;
    let user = signed_in_user(&server, "sdk-reuse").await;
    // Somebody else already used the refresh token once (rotation): it is spent.
    let rotated = server
        .http()
        .post(format!("{}/api/auth/refresh", server.url))
        .json(&json!({ "refresh_token": user.refresh_token }))
        .send()
        .await
        .unwrap();
    assert_eq!(rotated.status(), 200);
    let client = Client::new(&server.url).unwrap();
    client.resume_session("stale", user.refresh_token.clone()).await;
    let error = meridian::Error::from(client.api().get_profile().await.unwrap_err());
    assert!(error.is_unauthorized(), "{error}");
    assert!(error.request_id().is_some());
    // The session is over: later calls are anonymous 401s until a new login, without
    // further refresh attempts.
    let before = client.attempts();
    assert!(meridian::Error::from(client.api().get_profile().await.unwrap_err()).is_unauthorized());
    assert_eq!(client.attempts(), before + 1);
}

#[tokio::test]
async fn a_post_without_a_key_is_not_retried_after_a_429() {
    let server = TestServer::builder()
        .rate_limits(RateLimitMode::Divided(1000))
        .start()
        .await;
    let email = unique_email("sdk-post");
    let client = Client::builder(&server.url)
        .retry_policy(RetryPolicy::default().max_retries(5))
        .build()
        .unwrap();
    // The login budget is one per minute here: the second login is refused.
    let first = client.login(&email, PASSWORD).await.unwrap_err();
    assert!(first.is_unauthorized(), "unknown account: {first}");
    let before = client.attempts();
    let error = client.login(&email, PASSWORD).await.unwrap_err();
    assert!(error.is_rate_limited(), "{error}");
    assert!(error.retry_after().is_some_and(|s| (1..=60).contains(&s)), "{error:?}");
    assert_eq!(
        client.attempts(),
        before + 1,
        "a POST without Idempotency-Key is sent once"
    );
}

#[tokio::test]
async fn a_get_is_retried_after_the_429s_retry_after() {
    let server = TestServer::builder()
        .rate_limits(RateLimitMode::Divided(1000))
        .start()
        .await;
    let email = unique_email("sdk-retry");
    register(&server, &email, PASSWORD).await;
    let client = Client::new(&server.url).unwrap();
    let signed_in = client.login(&email, PASSWORD).await.unwrap();
    // The 2FA budget is one request per minute here.
    client.api().get_2fa_setup().await.unwrap();

    // With Retry-After beyond what the policy waits for, the 429 comes back at once.
    let impatient = Client::builder(&server.url)
        .retry_policy(RetryPolicy::default().max_retry_after(Duration::ZERO))
        .token(signed_in.tokens.access_token.clone())
        .build()
        .unwrap();
    let mut answer = impatient.api().get_2fa_setup().await;
    if answer.is_ok() {
        // The minute turned between the two calls: this one opened the new window.
        answer = impatient.api().get_2fa_setup().await;
    }
    let error = meridian::Error::from(answer.unwrap_err());
    assert!(error.is_rate_limited(), "{error}");
    let wait = error.retry_after().expect("Retry-After");
    assert!(impatient.attempts() <= 2, "the 429 was not retried");

    // The default policy waits the Retry-After (the window's end) and succeeds.
    let before = client.attempts();
    let started = Instant::now();
    client.api().get_2fa_setup().await.unwrap();
    assert_eq!(client.attempts(), before + 2, "the 429 and the retry");
    assert!(
        started.elapsed() + Duration::from_secs(1) >= Duration::from_secs(wait),
        "waited {:?} for Retry-After {wait}",
        started.elapsed()
    );
}

#[tokio::test]
async fn the_session_is_refreshed_before_the_access_token_expires() {
    // Access tokens live 2 s here; the SDK refreshes once half of that has passed.
    let server = TestServer::builder().access_token_ttl(2).start().await;
    let email = unique_email("sdk-expiry");
    register(&server, &email, PASSWORD).await;
    let client = Client::new(&server.url).unwrap();
    let first = client.login(&email, PASSWORD).await.unwrap();
    assert_eq!(first.tokens.expires_in.map(|s| s.get()), Some(2));
    client.api().get_profile().await.unwrap();
    let before = client.attempts();
    // Let half of the token's lifetime pass (not synchronisation: the point is that time
    // passes), then call again: the SDK refreshes first, without waiting for a 401.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let profile = client.api().get_profile().await.unwrap();
    assert_eq!(profile.data.email, email);
    assert_eq!(client.attempts(), before + 2, "the refresh, then the call, with no 401");
    // The refresh rotated the session: the first refresh token is spent.
    let reused = server
        .http()
        .post(format!("{}/api/auth/refresh", server.url))
        .json(&json!({ "refresh_token": first.tokens.refresh_token }))
        .send()
        .await
        .unwrap();
    assert_eq!(reused.status(), 401);
}

#[tokio::test]
async fn client_credentials_obtain_a_client_token_and_reuse_it() {
    let server = TestServer::start().await;
    let user = signed_in_user(&server, "sdk-service").await;
    let key = create_key(
        &server,
        &user.access_token,
        json!({"name": "svc", "scopes": ["trading:read", "loans:read"]}),
    )
    .await;
    let (id, secret) = (key["clientId"].as_str().unwrap(), key["clientSecret"].as_str().unwrap());

    let service = Client::with_client_credentials(&server.url, id, secret, ["trading:read"]).unwrap();
    let balances = service.api().get_balances().await.unwrap();
    assert!(!balances.balances.is_empty());
    assert_eq!(service.attempts(), 2, "the token grant, then the call");
    service.api().get_positions().await.unwrap();
    assert_eq!(service.attempts(), 3, "the token is reused");
    // The token carries the scopes asked for: loans:read was not.
    let error = meridian::Error::from(service.api().list_loans(None, None, None).await.unwrap_err());
    assert!(error.is_forbidden(), "{error}");
    // Client tokens never act on accounts.
    let error = meridian::Error::from(service.api().get_current_user().await.unwrap_err());
    assert!(error.is_forbidden(), "{error}");

    // A wrong secret gets no token: the call goes out without one, and its 401 is the
    // grant's failure, with the token endpoint's reason.
    let wrong = Client::with_client_credentials(&server.url, id, "0".repeat(64), Vec::<String>::new()).unwrap();
    let error = meridian::Error::from(wrong.api().get_balances().await.unwrap_err());
    assert!(
        matches!(&error, meridian::Error::ClientCredentials(why) if why.contains("invalid_client")),
        "{error}"
    );
    // An operation that needs no token still works without one.
    assert!(wrong.api().get_health().await.is_ok());

    // Deleting the key stops its token at once; the SDK tries one renewal, which the server
    // refuses, and the caller sees that refusal.
    let key_id = key["id"].as_str().unwrap();
    let deleted = server
        .http()
        .delete(format!("{}/api/users/me/client-keys/{key_id}", server.url))
        .bearer_auth(&user.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let before = service.attempts();
    let error = meridian::Error::from(service.api().get_balances().await.unwrap_err());
    assert!(matches!(error, meridian::Error::ClientCredentials(_)), "{error}");
    assert_eq!(
        service.attempts(),
        before + 3,
        "the 401, the refused renewal, the repeat"
    );
}

#[tokio::test]
async fn streams_walk_every_page_and_yield_each_item_once() {
    use futures_util::TryStreamExt;
    let server = TestServer::start().await;
    let user = signed_in_user(&server, "sdk-stream").await;
    let client = Client::builder(&server.url)
        .token(user.access_token.clone())
        .page_size(3)
        .build()
        .unwrap();
    let order: meridian::types::TradingPlaceOrderRequest =
        serde_json::from_value(json!({"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quoteOrderQty": "20"}))
            .unwrap();
    let mut placed = Vec::new();
    for _ in 0..7 {
        placed.push(client.api().place_order(None, &order).await.unwrap().order.order_id);
    }
    // Lazily: nothing is fetched before the stream is polled.
    let before = client.attempts();
    let stream = client.list_orders_stream(None, None, None);
    assert_eq!(client.attempts(), before);
    let orders: Vec<std::num::NonZeroU64> = stream.map_ok(|o| o.order_id).try_collect().await.unwrap();
    assert_eq!(client.attempts(), before + 3, "pages of 3, 3 and 1");
    placed.reverse();
    assert_eq!(orders, placed, "every order once, newest first");

    let trades: Vec<String> = client
        .list_trades_stream(None, None)
        .map_ok(|t| t.id.to_string())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(trades.len(), 7);
    assert_eq!(trades.iter().collect::<std::collections::BTreeSet<_>>().len(), 7);

    // Offset-paged lists too: the account's events.
    let events: Vec<Option<String>> = client
        .list_events_stream()
        .map_ok(|e| e.id)
        .try_collect()
        .await
        .unwrap();
    assert!(events.iter().all(Option::is_some), "{events:?}");
    let mut unique = events.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), events.len(), "no event twice");
    assert!(!events.is_empty());
}

#[tokio::test]
async fn client_tokens_are_renewed_before_they_expire() {
    // Client tokens live 2 s here; the SDK renews once half of that has passed.
    let server = TestServer::builder().client_token_ttl(2).start().await;
    let user = signed_in_user(&server, "sdk-renew").await;
    let key = create_key(&server, &user.access_token, json!({"name": "svc"})).await;
    let (id, secret) = (key["clientId"].as_str().unwrap(), key["clientSecret"].as_str().unwrap());
    let service = Client::with_client_credentials(&server.url, id, secret, ["trading:read"]).unwrap();
    service.api().get_balances().await.unwrap();
    assert_eq!(service.attempts(), 2, "the grant, then the call");
    service.api().get_balances().await.unwrap();
    assert_eq!(service.attempts(), 3, "the same token");
    // Let half of the lifetime pass (not synchronisation: time must pass), then call: a new
    // grant comes first, with no 401 on the way.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    service.api().get_balances().await.unwrap();
    assert_eq!(service.attempts(), 5, "the renewal, then the call");
}

#[test]
fn the_client_is_shareable_across_tasks() {
    fn shareable<T: Clone + Send + Sync + 'static>() {}
    shareable::<Client>();
    shareable::<meridian::Runtime>();
    fn error<T: std::error::Error + Send + Sync + 'static>() {}
    error::<meridian::Error>();
}
