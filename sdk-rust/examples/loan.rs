//! Loans: the calculator (seed 003's example), an application (with an automatic
//! `Idempotency-Key`), the application as stored, and the credit history it wrote.
//!
//! `MERIDIAN_URL=… MERIDIAN_EMAIL=… cargo run -p meridian --example loan` (an existing account)

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

    let terms = client
        .api()
        .calculate_loan(&body(json!({"amount": 10000, "rate": 5.5, "term_months": 36}))?)
        .await?;
    println!(
        "10000 at 5.5 % over 36 months: {} a month, {} in all",
        terms.data.monthly_payment, terms.data.total_payment
    );

    let application = body(json!({
        "loan_type": "personal", "requested_amount": 10000.00, "requested_term_months": 36,
        "requested_rate": 5.5, "application_data": {"purpose": "Debt consolidation"}
    }))?;
    let applied = client.api().apply_for_loan(None, &application).await?;
    println!(
        "{}: {} ({:?})",
        applied.message,
        applied.data.application_number.as_str(),
        applied.data.status
    );

    let loan = client.api().get_loan(&body(json!(applied.data.id.as_str()))?).await?;
    println!("credit score at application: {}", loan.data.credit_score_at_application);
    let history = client.api().list_credit_history(None, None).await?;
    for event in &history.data.history {
        println!(
            "{} {:?}: {}",
            event.event_date,
            event.event_type,
            event.description.as_str()
        );
    }
    Ok(())
}
