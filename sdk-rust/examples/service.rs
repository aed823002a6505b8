//! A service with a client key: the SDK runs the OAuth 2.0 client-credentials grant and
//! renews the client token itself. The example first creates a key for the account.
//!
//! `MERIDIAN_URL=… MERIDIAN_EMAIL=… cargo run -p meridian --example service` (an existing account)

use meridian::Client;
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), meridian::Error> {
    let url = std::env::var("MERIDIAN_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".into());
    let email = std::env::var("MERIDIAN_EMAIL").unwrap_or_else(|_| "quickstart@example.com".into());
    let owner = Client::new(url.clone())?;
    owner.login(&email, "SecurePass123!").await?;
    let request = serde_json::from_value(json!({"name": "example service", "scopes": ["trading:read", "credit:read"]}))
        .map_err(|e| meridian::Error::InvalidRequest(e.to_string()))?;
    let key = owner.api().create_client_key(&request).await?.into_inner();
    println!("client key {} created", key.client_id.as_str());

    let service = Client::with_client_credentials(
        url,
        key.client_id.as_str(),
        key.client_secret.as_str(),
        ["trading:read"],
    )?;
    let balances = service.api().get_balances().await?;
    for balance in &balances.balances {
        println!("{:?}: {} free", balance.asset, balance.free);
    }
    println!("{} requests sent (the token grant included)", service.attempts());
    Ok(())
}
