//! Shared helpers of the trading tests: a server with the market clock stopped at [`T0`], a
//! signed-in trader, order bodies, balance look-ups and the search for the instant at which
//! the deterministic feed crosses a limit price.

use std::num::NonZeroU64;

use meridian::GeneratedClient;
use meridian::types::{
    TradingAsset, TradingBalance, TradingOrder, TradingOrderListResponse, TradingPlaceOrderRequest,
    TradingPlaceOrderResponse, TradingTradeListResponse,
};
use meridian_contract_tests::TestServer;
use meridian_contract_tests::fixtures::{SignedIn, client_with_token, request, signed_in_user};
use meridian_server::domain::symbols::Symbol;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::Value;

/// 2026-03-03T10:00:00Z, where every trading test stops the market clock.
pub const T0: i64 = 1_772_532_000_000;
/// One minute in milliseconds (the feed's finest knot spacing).
pub const MINUTE: i64 = 60_000;
/// The default fee rate (0.1 %).
pub fn fee_rate() -> Decimal {
    d("0.001")
}

/// A decimal from text.
pub fn d(text: &str) -> Decimal {
    text.parse().unwrap_or_else(|e| panic!("`{text}`: {e}"))
}

/// A server with the market clock stopped at [`T0`], a fresh trader and their SDK client.
pub async fn start(prefix: &str) -> (TestServer, SignedIn, GeneratedClient) {
    let server = TestServer::start().await;
    server.state().clock.set_ms(T0);
    let user = signed_in_user(&server, prefix).await;
    let client = client_with_token(&server, &user.access_token);
    (server, user, client)
}

/// The feed price of `symbol` at `at_ms`.
pub fn price(server: &TestServer, symbol: Symbol, at_ms: i64) -> Decimal {
    server.state().feed.price(symbol, at_ms)
}

/// `value` rounded down to a multiple of `step`.
pub fn floor_to(value: Decimal, step: Decimal) -> Decimal {
    (value / step).floor() * step
}

/// `value` rounded up to a multiple of `step`.
pub fn ceil_to(value: Decimal, step: Decimal) -> Decimal {
    (value / step).ceil() * step
}

/// `value` rounded half-up (away from zero) to `places` decimals.
pub fn half_up(value: Decimal, places: u32) -> Decimal {
    value.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero)
}

/// The exact text the server writes for a decimal in messages.
pub fn text(value: Decimal) -> String {
    value.normalize().to_string()
}

/// The first whole minute after `from_ms` at which `symbol`'s price satisfies `crossed`
/// (searched over 60 days); every earlier whole minute after `from_ms` does not, so the feed
/// (linear between minutes) first reaches the condition at that minute.
pub fn first_minute(server: &TestServer, symbol: Symbol, from_ms: i64, crossed: impl Fn(Decimal) -> bool) -> i64 {
    let start = (from_ms / MINUTE + 1) * MINUTE;
    (0..60 * 24 * 60)
        .map(|k| start + k * MINUTE)
        .find(|&t| crossed(price(server, symbol, t)))
        .unwrap_or_else(|| panic!("{symbol} never crossed within 60 days of {from_ms}"))
}

/// An SDK order body from JSON.
pub fn body(json: Value) -> TradingPlaceOrderRequest {
    serde_json::from_value(json.clone()).unwrap_or_else(|e| panic!("{json}: {e}"))
}

/// Places `json` through the SDK; the 201 body.
pub async fn place(client: &GeneratedClient, json: Value) -> TradingPlaceOrderResponse {
    client
        .place_order(None, &body(json.clone()))
        .await
        .unwrap_or_else(|e| panic!("{json} should be placed: {e:?}"))
        .into_inner()
}

/// Places raw `json` (sent exactly as written) with `token`: the status and the JSON body.
pub async fn place_raw(server: &TestServer, token: &str, json: Value) -> (u16, Value) {
    request(server, "POST", "/api/trading/order", Some(token), Some(json)).await
}

/// The order id as the SDK's path parameter.
pub fn id_of(order: &TradingOrder) -> NonZeroU64 {
    order.order_id
}

/// The caller's balances.
pub async fn balances(client: &GeneratedClient) -> Vec<TradingBalance> {
    client.get_balances().await.expect("balances").into_inner().balances
}

/// `(free, locked, total)` of `asset` in `balances` (zeros when absent).
pub fn holding(balances: &[TradingBalance], asset: TradingAsset) -> (Decimal, Decimal, Decimal) {
    balances
        .iter()
        .find(|b| b.asset == asset)
        .map(|b| (b.free, b.locked, b.total))
        .unwrap_or_default()
}

/// Every order of the caller (first page of 100).
pub async fn all_orders(client: &GeneratedClient) -> TradingOrderListResponse {
    client
        .list_orders(NonZeroU64::new(100), None, None, None, None)
        .await
        .expect("orders")
        .into_inner()
}

/// Every fill of the caller (first page of 100).
pub async fn all_trades(client: &GeneratedClient) -> TradingTradeListResponse {
    client
        .list_trades(NonZeroU64::new(100), None, None, None)
        .await
        .expect("trades")
        .into_inner()
}
