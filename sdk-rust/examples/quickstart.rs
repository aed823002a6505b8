//! Quickstart: register (when new), sign in and read the profile.
//!
//! `MERIDIAN_URL=http://127.0.0.1:8080 MERIDIAN_EMAIL=you@example.com cargo run -p meridian --example quickstart`

use meridian::Client;
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), meridian::Error> {
    let url = std::env::var("MERIDIAN_URL").unwrap_or_else(|_| "http://127.0.0.1:8080".into());
    let email = std::env::var("MERIDIAN_EMAIL").unwrap_or_else(|_| "quickstart@example.com".into());
    let password = "SecurePass123!";
    let client = Client::new(url)?;

    // Register; an existing account (409) is fine.
    let body = serde_json::from_value(json!({ "email": email, "password": password }))
        .map_err(|e| meridian::Error::InvalidRequest(e.to_string()))?;
    match client.api().register(&body).await.map_err(meridian::Error::from) {
        Ok(_) => println!("registered {email}"),
        Err(e) if e.is_conflict() => println!("{email} already exists"),
        Err(e) => return Err(e),
    }

    // Sign in: the client keeps the tokens and refreshes them.
    let signed_in = client.login(&email, password).await?;
    println!("signed in as {} ({})", signed_in.user.email, signed_in.user.id);

    let profile = client.api().get_profile().await?;
    println!(
        "request {}",
        profile
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("?")
    );
    println!("profile: {} status {:?}", profile.data.email, profile.data.status);
    client.logout().await?;
    println!("signed out");
    Ok(())
}
