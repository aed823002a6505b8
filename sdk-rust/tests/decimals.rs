//! Exact decimals: `DecimalNumber` / `DecimalInput` are `rust_decimal::Decimal`, read from a
//! JSON number's text and written as a JSON number with the exact digits — never via f64
//! (docs/api-design.md, "SDK decimals").

use std::str::FromStr;

use meridian::Decimal;
use meridian::types::{TradingBalance, TradingPlaceOrderRequest};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, Deserialize, Serialize)]
struct X {
    x: Decimal,
}

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).expect("a decimal")
}

#[test]
fn a_json_number_deserializes_to_the_exact_decimal() {
    let x: X = serde_json::from_str(r#"{"x": 301.96}"#).unwrap();
    assert_eq!(x.x, dec("301.96"));
    assert_eq!(x.x.to_string(), "301.96");
    assert_eq!(x.x.scale(), 2);
}

#[test]
fn digits_and_scale_survive_where_f64_would_lose_them() {
    // 26 significant digits (f64 keeps ~17) and trailing zeros (f64 keeps none).
    for text in [
        "12345678901234567.123456789",
        "0.100000000000000001",
        "10000.00",
        "-0.000000010",
    ] {
        let x: X = serde_json::from_str(&format!(r#"{{"x": {text}}}"#)).unwrap();
        assert_eq!(x.x.to_string(), text, "read {text}");
        assert_eq!(
            serde_json::to_string(&x).unwrap(),
            format!(r#"{{"x":{text}}}"#),
            "wrote {text}"
        );
    }
}

#[test]
fn a_decimal_serializes_as_a_json_number_with_the_exact_digits() {
    let text = serde_json::to_string(&X { x: dec("301.96") }).unwrap();
    assert_eq!(text, r#"{"x":301.96}"#);
    let value = serde_json::to_value(X { x: dec("68965.52") }).unwrap();
    assert!(value["x"].is_number());
    assert_eq!(value.to_string(), r#"{"x":68965.52}"#);
}

#[test]
fn a_decimal_string_is_accepted_as_input() {
    let x: X = serde_json::from_str(r#"{"x": "0.5"}"#).unwrap();
    assert_eq!(x.x, dec("0.5"));
}

#[test]
fn generated_types_carry_exact_decimals_both_ways() {
    // A response (DecimalNumber), read from bytes as progenitor's ResponseValue does.
    let balance: TradingBalance =
        serde_json::from_slice(br#"{"asset": "USDT", "free": 9698.04, "locked": 301.96, "total": 10000.00}"#).unwrap();
    assert_eq!(balance.locked.to_string(), "301.96");
    assert_eq!(balance.free + balance.locked, balance.total);
    assert_eq!(balance.total.to_string(), "10000.00");

    // Through serde_json::Value too (numbers keep their text there as well).
    let balance: TradingBalance =
        serde_json::from_value(json!({"asset": "BTC", "free": 0.00012345, "locked": 0, "total": 0.00012345})).unwrap();
    assert_eq!(balance.free.to_string(), "0.00012345");

    // A request (DecimalInput): a number or a string in, an exact JSON number out.
    let order: TradingPlaceOrderRequest = serde_json::from_value(
        json!({"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "quantity": "0.001", "price": 68965.52}),
    )
    .unwrap();
    assert_eq!(order.quantity, Some(dec("0.001")));
    let body = serde_json::to_string(&order).unwrap();
    assert!(body.contains(r#""quantity":0.001"#), "{body}");
    assert!(body.contains(r#""price":68965.52"#), "{body}");
}
