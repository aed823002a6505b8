//! Client tokens for services: the OAuth 2.0 client-credentials grant against
//! `/api/oauth/token`, run by the `oauth2` crate over the SDK's own `reqwest` client, and
//! renewed before the token expires (and once on a 401).

use std::time::{Duration, Instant};

use oauth2::basic::BasicClient;
use oauth2::{AuthType, ClientId, ClientSecret, Scope, TokenResponse, TokenUrl};

use crate::error::Error;

/// How long before a client token's expiry the SDK fetches the next one.
const RENEW_MARGIN: Duration = Duration::from_secs(60);

/// A client key and the token it currently holds.
#[derive(Debug, Clone)]
pub(crate) struct ClientGrant {
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    pub(crate) scopes: Vec<String>,
    /// The current token and when to renew it.
    pub(crate) token: Option<(String, Instant)>,
}

impl ClientGrant {
    /// A grant for a client key, asking for `scopes` (all of the key's when empty).
    pub(crate) fn new(client_id: String, client_secret: String, scopes: Vec<String>) -> Self {
        Self {
            client_id,
            client_secret,
            scopes,
            token: None,
        }
    }

    /// Whether [`ClientGrant::token`] will ask the server for a token.
    pub(crate) fn needs_token(&self, refused: Option<&str>) -> bool {
        match &self.token {
            Some((token, renew_at)) => Instant::now() >= *renew_at || refused == Some(token.as_str()),
            None => true,
        }
    }

    /// The token to send now: the current one, or a new one when there is none, it is
    /// about to expire, or the server refused `refused`.
    pub(crate) async fn token(
        &mut self,
        http: &reqwest::Client,
        base_url: &str,
        refused: Option<&str>,
    ) -> Result<String, Error> {
        if !self.needs_token(refused)
            && let Some((token, _)) = &self.token
        {
            return Ok(token.clone());
        }
        let (token, lifetime) = self.fetch(http, base_url).await?;
        let renew_at = Instant::now() + lifetime.saturating_sub(RENEW_MARGIN.min(lifetime / 2));
        self.token = Some((token.clone(), renew_at));
        Ok(token)
    }

    /// Runs the grant: `POST /api/oauth/token` with HTTP Basic client authentication.
    async fn fetch(&self, http: &reqwest::Client, base_url: &str) -> Result<(String, Duration), Error> {
        let token_url = TokenUrl::new(format!("{base_url}/api/oauth/token"))
            .map_err(|e| Error::InvalidRequest(format!("token URL: {e}")))?;
        let client = BasicClient::new(ClientId::new(self.client_id.clone()))
            .set_client_secret(ClientSecret::new(self.client_secret.clone()))
            .set_token_uri(token_url)
            .set_auth_type(AuthType::BasicAuth);
        let send = |request| send(http.clone(), request);
        let response = client
            .exchange_client_credentials()
            .add_scopes(self.scopes.iter().cloned().map(Scope::new))
            .request_async(&send)
            .await
            .map_err(|e| Error::ClientCredentials(e.to_string()))?;
        let lifetime = response.expires_in().unwrap_or(Duration::from_secs(3600));
        Ok((response.access_token().secret().clone(), lifetime))
    }
}

/// oauth2's HTTP requests sent with the SDK's `reqwest` client (its own integration targets
/// another reqwest version).
async fn send(http: reqwest::Client, request: oauth2::HttpRequest) -> Result<oauth2::HttpResponse, std::io::Error> {
    let method = reqwest::Method::from_bytes(request.method().as_str().as_bytes()).unwrap_or(reqwest::Method::POST);
    let mut builder = http.request(method, request.uri().to_string());
    for (name, value) in request.headers() {
        builder = builder.header(name.as_str(), value.as_bytes());
    }
    let response = builder
        .body(request.body().clone())
        .send()
        .await
        .map_err(std::io::Error::other)?;
    let mut out = oauth2::http::Response::builder().status(response.status().as_u16());
    for (name, value) in response.headers() {
        out = out.header(name.as_str(), value.as_bytes());
    }
    let body = response.bytes().await.map_err(std::io::Error::other)?.to_vec();
    out.body(body).map_err(std::io::Error::other)
}
