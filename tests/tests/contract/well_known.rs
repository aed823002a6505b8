//! `/.well-known/oauth-authorization-server`: RFC 8414 metadata naming the token and
//! revocation endpoints, served outside `/api`.

use meridian_contract_tests::TestServer;
use serde_json::json;

#[tokio::test]
async fn oauth_metadata_names_the_token_and_revocation_endpoints() {
    let server = TestServer::start().await;
    let metadata = server
        .client()
        .get_oauth_metadata()
        .await
        .expect("metadata")
        .into_inner();
    let value = serde_json::to_value(&metadata).unwrap();
    let issuer = value["issuer"].as_str().unwrap();
    assert!(
        issuer.starts_with("http://") && !issuer.trim_start_matches("http://").contains('/'),
        "{issuer}"
    );
    assert_eq!(value["token_endpoint"], format!("{issuer}/api/oauth/token"));
    assert_eq!(value["revocation_endpoint"], format!("{issuer}/api/oauth/revoke"));
    assert_eq!(
        value["grant_types_supported"],
        json!(["client_credentials", "refresh_token"])
    );
    assert_eq!(
        value["token_endpoint_auth_methods_supported"],
        json!(["client_secret_basic", "client_secret_post"])
    );
    assert_eq!(value["response_types_supported"], json!([]));
    assert_eq!(value["scopes_supported"].as_array().unwrap().len(), 6);
    // A proxy's forwarded scheme and host make the issuer.
    let response = server
        .http()
        .get(format!("{}/.well-known/oauth-authorization-server", server.url))
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-host", "meridian.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["issuer"], "https://meridian.example.com");
    assert_eq!(body["token_endpoint"], "https://meridian.example.com/api/oauth/token");
}
