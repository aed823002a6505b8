//! Who may trade: client tokens act for their user within their scopes (`trading:read`
//! reads, `trading:write` places and cancels, neither implies the other); no token is 401.

use meridian::types::TradingOrderStatus;
use meridian_contract_tests::fixtures::{client_token_with_scopes, client_with_token, failure};
use meridian_server::domain::symbols::Symbol;
use serde_json::json;

use super::support::{T0, body, d, floor_to, id_of, place, price, start, text};

#[tokio::test]
async fn client_tokens_trade_for_their_user_within_their_scopes() {
    let (server, user, client) = start("scopes").await;
    let p = price(&server, Symbol::Eth, T0);
    let resting = place(
        &client,
        json!({"symbol":"ETHUSDT","side":"BUY","type":"LIMIT","quantity":"0.1","price": text(floor_to(p * d("0.9"), d("0.01")))}),
    )
    .await
    .order;
    let order = json!({"symbol":"ETHUSDT","side":"BUY","type":"MARKET","quantity":"0.01"});

    // trading:read reads everything of its user, and may not place or cancel.
    let reader = client_with_token(
        &server,
        &client_token_with_scopes(&server, &user, &["trading:read"]).await,
    );
    let wallet = reader
        .get_balances()
        .await
        .expect("read balances")
        .into_inner()
        .balances;
    assert_eq!(
        wallet[0].locked,
        d("0.1") * floor_to(p * d("0.9"), d("0.01")),
        "the user's wallet"
    );
    let seen = reader
        .get_order(id_of(&resting))
        .await
        .expect("read order")
        .into_inner()
        .order;
    assert_eq!(seen.status, TradingOrderStatus::New);
    reader.list_orders(None, None, None, None, None).await.expect("list");
    reader.list_trades(None, None, None, None).await.expect("history");
    reader.get_positions().await.expect("positions");
    reader.get_portfolio().await.expect("portfolio");
    let (code, answer) = failure(reader.place_order(None, &body(order.clone())).await);
    assert_eq!(code, 403, "{answer}");
    let (code, answer) = failure(reader.cancel_order(id_of(&resting)).await);
    assert_eq!(code, 403, "{answer}");
    assert_eq!(
        client
            .get_order(id_of(&resting))
            .await
            .unwrap()
            .into_inner()
            .order
            .status,
        TradingOrderStatus::New,
        "the refused cancel did nothing"
    );

    // trading:write places and cancels for the user, and may not read.
    let writer = client_with_token(
        &server,
        &client_token_with_scopes(&server, &user, &["trading:write"]).await,
    );
    let placed = writer
        .place_order(None, &body(order.clone()))
        .await
        .expect("placed with trading:write")
        .into_inner();
    assert_eq!(placed.order.status, TradingOrderStatus::Filled);
    let canceled = writer
        .cancel_order(id_of(&resting))
        .await
        .expect("cancelled")
        .into_inner();
    assert_eq!(canceled.order.status, TradingOrderStatus::Canceled);
    assert_eq!(failure(writer.get_balances().await).0, 403);
    assert_eq!(failure(writer.get_order(id_of(&placed.order)).await).0, 403);
    // The user sees the order the client token placed.
    let mine = client
        .get_order(id_of(&placed.order))
        .await
        .expect("the user's order")
        .into_inner();
    assert_eq!(mine.order.order_id, placed.order.order_id);

    // A key without any trading scope reads nothing.
    let lender = client_with_token(
        &server,
        &client_token_with_scopes(&server, &user, &["loans:read"]).await,
    );
    assert_eq!(failure(lender.get_balances().await).0, 403);
    assert_eq!(failure(lender.place_order(None, &body(order.clone())).await).0, 403);
}

#[tokio::test]
async fn trading_without_a_token_is_401() {
    let (server, _user, _client) = start("anonymous").await;
    let anonymous = server.client();
    let order = body(json!({"symbol":"BTCUSDT","side":"BUY","type":"MARKET","quoteOrderQty":"100"}));
    assert_eq!(failure(anonymous.place_order(None, &order).await).0, 401);
    assert_eq!(failure(anonymous.get_balances().await).0, 401);
    assert_eq!(failure(anonymous.get_portfolio().await).0, 401);
    assert_eq!(
        failure(anonymous.list_orders(None, None, None, None, None).await).0,
        401
    );
    let id = std::num::NonZeroU64::new(1).unwrap();
    assert_eq!(failure(anonymous.get_order(id).await).0, 401);
    assert_eq!(failure(anonymous.cancel_order(id).await).0, 401);
}
