//! Tests under `/api/market` (public market data).

mod history;
mod orderbook;
mod price;
mod replicas;
mod ticker;

use meridian::types::TradingSymbol;
use meridian_contract_tests::TestServer;
use meridian_contract_tests::fixtures::request;
use meridian_server::domain::symbols::Symbol;
use serde_json::Value;

/// 2026-03-03T10:00:00Z (on the hour), where the market tests stop the market clock.
pub const T0: i64 = 1_772_532_000_000;
/// One minute in milliseconds.
pub const MINUTE: i64 = 60_000;
/// One hour in milliseconds.
pub const HOUR: i64 = 3_600_000;
/// One day in milliseconds.
pub const DAY: i64 = 86_400_000;

/// A server with the market clock stopped at `now_ms`.
pub async fn market_at(now_ms: i64) -> TestServer {
    let server = TestServer::start().await;
    server.state().clock.set_ms(now_ms);
    server
}

/// The SDK's name for `symbol`.
pub fn sdk(symbol: Symbol) -> TradingSymbol {
    serde_json::from_value(Value::from(symbol.as_str())).expect("every symbol is in the SDK")
}

/// The server's name for an SDK symbol.
pub fn domain(symbol: TradingSymbol) -> Symbol {
    symbol.to_string().parse().expect("every SDK symbol is supported")
}

/// A raw `GET` (for requests the SDK's types refuse to build) that must be a 400; its body.
pub async fn bad_request(server: &TestServer, path_and_query: &str) -> Value {
    let (status, body) = request(server, "GET", path_and_query, None, None).await;
    assert_eq!(status, 400, "{path_and_query}: {body}");
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["error"], "Bad Request", "{body}");
    body
}

/// Asserts `body` is the spec's unsupported-symbol error for `name` in parameter `field`.
pub fn assert_invalid_symbol(body: &Value, field: &str, name: &str) {
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.starts_with(&format!("Invalid symbol: {name}")), "{body}");
    assert!(
        message.contains("BTCUSDT, ETHUSDT, BNBUSDT, ADAUSDT, DOGEUSDT, XRPUSDT, DOTUSDT, SOLUSDT"),
        "the message lists the supported symbols: {body}"
    );
    assert_eq!(body["errors"][0]["field"], field, "{body}");
}
