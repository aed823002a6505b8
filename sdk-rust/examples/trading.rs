//! Paper trading: a LIMIT order far below the market rests; read it, then cancel it. The
//! SDK gives the order an `Idempotency-Key`, so a retried placement never buys twice.
//!
//! `MERIDIAN_URL=… MERIDIAN_EMAIL=… cargo run -p meridian --example trading` (an existing account)

use meridian::Client;
use serde_json::json;

fn body<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, meridian::Error> {
    serde_json::from_value(value).map_err(|e| meridian::Error::InvalidRequest(e.to_string()))
}

#[tokio::main]
async fn main() -> Result<(), meridian::Error> {
    let url = std::env::var("MERIDIAN_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".into());
    let email = std::env::var("MERIDIAN_EMAIL").unwrap_or_else(|_| "quickstart@example.com".into());
    let client = Client::new(url)?;
    client.login(&email, "SecurePass123!").await?;

    let price = client
        .api()
        .get_symbol_price(meridian::types::TradingSymbol::Btcusdt)
        .await?;
    println!("BTCUSDT {}", price.price);
    let limit = (price.price / meridian::Decimal::from(2)).round_dp(2);
    let order = body(json!({
        "symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT",
        "quantity": "0.001", "price": limit.to_string(), "timeInForce": "GTC"
    }))?;
    let placed = client.api().place_order(None, &order).await?;
    let id = placed.order.order_id;
    println!("placed order {id}: {:?} at {}", placed.order.status, placed.order.price);

    let read = client.api().get_order(id).await?;
    println!("order {} is {:?}", read.order.order_id, read.order.status);
    let cancelled = client.api().cancel_order(id).await?;
    println!("{}: {:?}", cancelled.message, cancelled.order.status);
    Ok(())
}
