//! The Rust SDK's resource layer against the live server: `client.system()`,
//! `client.accounts()`, `client.client_keys()`, `client.trading()`, `client.loans()`,
//! `client.credit()` and `client.auth()` with plain arguments, answering with a
//! `meridian::Response` (value, status, request id); plain arguments the API would refuse
//! are `Error::InvalidRequest` with nothing sent.

use meridian::types::{
    LoanApplicationRequest, LoanStatus, OAuthTokenRequest, TradingOrderStatus, TradingPlaceOrderRequest, TradingSymbol,
};
use meridian::{Client, Error};
use meridian_contract_tests::fixtures::{PASSWORD, register, unique_email};
use meridian_contract_tests::{TestServer, sdk_body};
use rust_decimal::Decimal;

/// 2026-03-03T10:00:00Z, where the market clock stands in these tests.
const T0: i64 = 1_772_532_000_000;

/// A server with the market clock stopped at [`T0`] and a client signed in as a new user.
async fn signed_in(prefix: &str) -> (TestServer, Client, String) {
    let server = TestServer::start().await;
    server.state().clock.set_ms(T0);
    let email = unique_email(prefix);
    register(&server, &email, PASSWORD).await;
    let client = Client::new(&server.url).unwrap();
    client.login(&email, PASSWORD).await.unwrap();
    (server, client, email)
}

fn d(text: &str) -> Decimal {
    text.parse().unwrap()
}

/// The request id of a response: present, and in the server's `req-…` form.
fn request_id<T>(response: &meridian::Response<T>) -> String {
    let id = response.request_id().expect("an X-Request-Id header");
    assert!(id.starts_with("req-"), "{id}");
    id.to_owned()
}

#[tokio::test]
async fn system_auth_and_accounts_through_the_accessors() {
    let (server, client, email) = signed_in("resources-accounts").await;
    let anonymous = Client::new(&server.url).unwrap();
    let health = anonymous.system().get_health().await.unwrap();
    assert_eq!(health.status(), 200);
    // The body's request id is the header's.
    assert_eq!(request_id(&health), health.request_id);

    let me = client.accounts().get_current_user().await.unwrap();
    assert_eq!(me.status(), 200);
    assert_eq!(me.email, email);
    request_id(&me);
    let me = me.into_inner();
    let sessions = client
        .accounts()
        .list_sessions(Some(true), Some(10), None)
        .await
        .unwrap();
    assert!(!sessions.sessions.is_empty(), "{:?}", sessions.into_inner());
    // A string query argument as `&str`.
    let verification = client.auth().get_verification_status(&email).await.unwrap();
    assert_eq!(verification.status(), 200);
    // Anonymous calls come back as the typed error with the server's request id.
    let error = anonymous.accounts().get_current_user().await.unwrap_err();
    assert!(error.is_unauthorized(), "{error}");
    assert!(error.request_id().is_some_and(|id| id.starts_with("req-")), "{error:?}");

    // Client keys: create, list, delete by a `&str` id (a 204 as `Response<()>`).
    let created = client
        .client_keys()
        .create_client_key(&sdk_body!({"name": "resources"}))
        .await
        .unwrap();
    assert_eq!(created.status(), 200);
    let key_id = created.id.clone().expect("the new key's id");
    let keys = client.client_keys().list_client_keys().await.unwrap();
    assert!(keys.iter().any(|k| k.id == key_id), "{:?}", keys.into_inner());

    // The OAuth endpoint through `auth()`: a grant with the new key, then a wrong secret
    // as the typed error, its RFC 6749 code as the body's `error`.
    let client_id = created.client_id.to_string();
    let grant: OAuthTokenRequest = sdk_body!({
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": created.client_secret.to_string(),
    });
    let token = client.auth().oauth_token(&grant).await.unwrap();
    assert_eq!(token.status(), 200);
    let wrong: OAuthTokenRequest = sdk_body!({
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": "not-the-secret",
    });
    let error = client.auth().oauth_token(&wrong).await.unwrap_err();
    // Credentials in the form (not HTTP Basic): a 400, RFC 6749 §5.2.
    assert!(error.is_bad_request(), "{error:?}");
    assert_eq!(
        error.body().map(|b| b.error.as_str()),
        Some("invalid_client"),
        "{error:?}"
    );
    assert!(error.request_id().is_some_and(|id| id.starts_with("req-")), "{error:?}");

    let deleted = client.client_keys().delete_client_key(&key_id).await.unwrap();
    assert_eq!(deleted.status(), 204);
    let keys = client.client_keys().list_client_keys().await.unwrap().into_inner();
    assert!(keys.iter().all(|k| k.id != key_id));
    assert_eq!(me.id, client.accounts().get_current_user().await.unwrap().id);
}

#[tokio::test]
async fn trading_places_reads_and_cancels_an_order() {
    let (_server, client, _) = signed_in("resources-trading").await;
    // An enum argument by value.
    let price = client.trading().get_price(TradingSymbol::Ethusdt).await.unwrap();
    assert_eq!(price.symbol, TradingSymbol::Ethusdt);
    // A buy at half the price rests on the book.
    let limit = ((price.price / d("2")) / d("0.01")).floor() * d("0.01");
    let order: TradingPlaceOrderRequest = sdk_body!({
        "symbol": "ETHUSDT", "side": "BUY", "type": "LIMIT", "quantity": "0.1", "price": limit.normalize().to_string(),
    });
    let placed = client.trading().place_order(&order).await.unwrap();
    assert_eq!(placed.status(), 201);
    request_id(&placed);
    assert_eq!(placed.order.status, TradingOrderStatus::New);
    let id = placed.order.order_id.get();

    // Plain `u64` ids.
    let seen = client.trading().get_order(id).await.unwrap();
    assert_eq!(seen.order.order_id.get(), id);
    assert_eq!(seen.order.status, TradingOrderStatus::New);
    let listed = client
        .trading()
        .list_orders(
            Some(10),
            Some(1),
            None,
            Some(TradingOrderStatus::New),
            Some(TradingSymbol::Ethusdt),
        )
        .await
        .unwrap();
    assert!(listed.orders.iter().any(|o| o.order_id.get() == id));
    let canceled = client.trading().cancel_order(id).await.unwrap();
    assert_eq!(canceled.order.status, TradingOrderStatus::Canceled);
    assert_eq!(
        client.trading().get_order(id).await.unwrap().order.status,
        TradingOrderStatus::Canceled
    );

    // The caller's own Idempotency-Key: the same key and body answer with the first order.
    let key = format!("resources-{id}");
    let first = client
        .trading()
        .place_order_with_idempotency_key(&key, &order)
        .await
        .unwrap();
    let again = client
        .trading()
        .place_order_with_idempotency_key(&key, &order)
        .await
        .unwrap();
    assert_eq!(first.order.order_id, again.order.order_id);
    // An integer-newtype query argument (`limit` ∈ {5, 10, 20, 50, 100}) as a plain `i64`.
    let book = client
        .trading()
        .get_order_book(Some(5), TradingSymbol::Ethusdt)
        .await
        .unwrap();
    assert!(book.bids.len() <= 5);
}

#[tokio::test]
async fn loans_and_credit_through_the_accessors() {
    let (_server, client, _) = signed_in("resources-loans").await;
    let terms = client
        .loans()
        .calculate_loan(&sdk_body!({"amount": 10000, "rate": "5.5", "term_months": 36}))
        .await
        .unwrap();
    assert_eq!(terms.status(), 200);
    request_id(&terms);
    assert_eq!(terms.data.monthly_payment, d("301.96"));

    let application: LoanApplicationRequest = sdk_body!({
        "loan_type": "personal", "requested_amount": 10000, "requested_term_months": 36,
    });
    let applied = client.loans().apply_for_loan(&application).await.unwrap();
    assert_eq!(applied.status(), 201);
    let loan_id = applied.data.id.to_string();
    // A string path argument as `&str`.
    let loan = client.loans().get_loan(&loan_id).await.unwrap();
    assert_eq!(loan.data.id.as_str(), loan_id);
    let listed = client.loans().list_loans(Some(1), Some(5), None).await.unwrap();
    assert_eq!(listed.data.loans.len(), 1);
    let canceled = client.loans().cancel_loan(&loan_id).await.unwrap();
    assert_eq!(canceled.data.status, LoanStatus::Cancelled);
    let missing = client.loans().get_loan("la_does_not_exist").await.unwrap_err();
    assert!(missing.is_not_found(), "{missing}");

    // The application and its cancellation are in the credit history.
    let history = client.credit().list_credit_history(Some(1), Some(5)).await.unwrap();
    assert_eq!(history.status(), 200);
    request_id(&history);
    assert_eq!(history.data.history.len(), 2, "{:?}", history.data);
    assert_eq!(history.data.pagination.per_page.get(), 5);
}

#[tokio::test]
async fn plain_arguments_the_api_would_refuse_are_not_sent() {
    let (_server, client, _) = signed_in("resources-invalid").await;
    let before = client.attempts();
    let refused = |error: Error| match error {
        Error::InvalidRequest(what) => what,
        other => panic!("expected InvalidRequest, got {other:?}"),
    };

    let what = refused(client.credit().list_credit_history(Some(0), Some(5)).await.unwrap_err());
    assert_eq!(what, "page must be at least 1");
    let what = refused(client.credit().list_credit_history(None, Some(0)).await.unwrap_err());
    assert_eq!(what, "per_page must be at least 1");
    let what = refused(client.trading().get_order(0).await.unwrap_err());
    assert_eq!(what, "id must be at least 1");
    let what = refused(client.loans().get_loan("").await.unwrap_err());
    assert!(what.starts_with("id: "), "{what}");
    let what = refused(client.loans().get_loan(&"x".repeat(65)).await.unwrap_err());
    assert!(what.starts_with("id: "), "{what}");
    let what = refused(
        client
            .trading()
            .get_order_book(Some(7), TradingSymbol::Btcusdt)
            .await
            .unwrap_err(),
    );
    assert!(what.starts_with("limit: "), "{what}");
    let order: TradingPlaceOrderRequest =
        sdk_body!({"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.001"});
    let what = refused(
        client
            .trading()
            .place_order_with_idempotency_key("not a key!", &order)
            .await
            .unwrap_err(),
    );
    assert!(what.starts_with("idempotency_key: "), "{what}");
    let display = Error::InvalidRequest(what).to_string();
    assert!(display.starts_with("invalid request: idempotency_key: "), "{display}");

    assert_eq!(client.attempts(), before, "nothing was sent");
    // The same calls with good arguments do reach the server.
    client.credit().list_credit_history(Some(1), Some(5)).await.unwrap();
    assert_eq!(client.attempts(), before + 1);
}
