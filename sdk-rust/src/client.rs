//! [`Client`]: the configured entry point of the SDK (base URL, timeout, user agent, retry
//! policy, credentials), its sign-in that manages tokens, and access to every operation.

use std::time::{Duration, Instant};

use crate::client_credentials::ClientGrant;
use crate::error::Error;
use crate::generated::Client as GeneratedClient;
use crate::generated::types::{self, LoginResponse, LoginSuccess};
use crate::response::Response;
use crate::runtime::{Credentials, RetryPolicy, Runtime, Session};

/// How long before an access token's expiry the SDK refreshes it.
const REFRESH_MARGIN: Duration = Duration::from_secs(30);

/// Builds a [`Client`].
///
/// ```
/// use std::time::Duration;
/// let client = meridian::Client::builder("http://127.0.0.1:8080")
///     .timeout(Duration::from_secs(10))
///     .user_agent("my-integration/1.0")
///     .retry_policy(meridian::RetryPolicy::default().max_retries(2))
///     .build()
///     .unwrap();
/// assert_eq!(client.base_url(), "http://127.0.0.1:8080");
/// ```
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    base_url: String,
    timeout: Duration,
    user_agent: String,
    retry: RetryPolicy,
    http: Option<reqwest::Client>,
    credentials: Option<Credentials>,
    page_size: u64,
}

impl ClientBuilder {
    /// The per-request timeout (default 30 s; ignored with [`ClientBuilder::http_client`]).
    ///
    /// ```
    /// let builder = meridian::Client::builder("http://localhost:8080").timeout(std::time::Duration::from_secs(5));
    /// assert!(builder.build().is_ok());
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The `User-Agent` header (default `meridian-rust/<version>`; ignored with
    /// [`ClientBuilder::http_client`]).
    ///
    /// ```
    /// let builder = meridian::Client::builder("http://localhost:8080").user_agent("acme/2");
    /// assert!(builder.build().is_ok());
    /// ```
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// How failed requests are retried (default [`RetryPolicy::default`]; switch off with
    /// [`RetryPolicy::none`]).
    ///
    /// ```
    /// let builder = meridian::Client::builder("http://localhost:8080").retry_policy(meridian::RetryPolicy::none());
    /// assert!(builder.build().is_ok());
    /// ```
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// A `reqwest::Client` of your own (proxies, TLS roots, connection pools).
    ///
    /// ```
    /// let http = reqwest::Client::new();
    /// let builder = meridian::Client::builder("http://localhost:8080").http_client(http);
    /// assert!(builder.build().is_ok());
    /// ```
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// A bearer token you manage yourself (a user, account or client token); the SDK sends
    /// it as is and never refreshes it.
    ///
    /// ```
    /// let builder = meridian::Client::builder("http://localhost:8080").token("eyJ…");
    /// assert!(builder.build().is_ok());
    /// ```
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.credentials = Some(Credentials::Token(token.into()));
        self
    }

    /// How many items the `…_stream()` methods ask for per page (1–100, default 100).
    ///
    /// ```
    /// let client = meridian::Client::builder("http://localhost:8080").page_size(25).build().unwrap();
    /// assert_eq!(client.page_size(), 25);
    /// ```
    pub fn page_size(mut self, size: u64) -> Self {
        self.page_size = size.clamp(1, 100);
        self
    }

    /// A service's client key: the SDK obtains client tokens with the OAuth 2.0
    /// client-credentials grant (`POST /api/oauth/token`, through the `oauth2` crate) for
    /// `scopes` (all of the key's when empty), and renews them before they expire and once
    /// on a 401. Client tokens act on trading, credit and loans.
    ///
    /// ```
    /// let builder = meridian::Client::builder("http://localhost:8080")
    ///     .client_credentials("mcl_id", "secret", ["trading:read", "loans:read"]);
    /// assert!(builder.build().is_ok());
    /// ```
    pub fn client_credentials<S: Into<String>>(
        mut self,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        scopes: impl IntoIterator<Item = S>,
    ) -> Self {
        let grant = ClientGrant::new(
            client_id.into(),
            client_secret.into(),
            scopes.into_iter().map(Into::into).collect(),
        );
        self.credentials = Some(Credentials::Client(grant));
        self
    }

    /// The client.
    ///
    /// ```
    /// assert!(meridian::Client::builder("http://localhost:8080").build().is_ok());
    /// ```
    pub fn build(self) -> Result<Client, Error> {
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .timeout(self.timeout)
                .connect_timeout(self.timeout.min(Duration::from_secs(10)))
                .user_agent(self.user_agent)
                .build()
                .map_err(Error::Transport)?,
        };
        let runtime = Runtime::new(self.retry, self.credentials.unwrap_or_default());
        let base_url = self.base_url.trim_end_matches('/').to_owned();
        Ok(Client {
            api: GeneratedClient::new_with_client(&base_url, http, runtime.clone()),
            runtime,
            base_url,
            page_size: self.page_size,
        })
    }
}

/// A Meridian API client: cheap to clone, safe to share across tasks; clones share the
/// connection pool, the credentials and their refreshes.
///
/// ```no_run
/// # async fn demo() -> Result<(), meridian::Error> {
/// let client = meridian::Client::new("http://127.0.0.1:8080")?;
/// client.login("user@example.com", "SecurePass123!").await?;
/// let profile = client.api().get_profile().await?;
/// println!("{}", profile.data.email);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Client {
    api: GeneratedClient,
    runtime: Runtime,
    base_url: String,
    page_size: u64,
}

impl Client {
    /// A builder for a client of the server at `base_url` (e.g. `http://127.0.0.1:8080`).
    ///
    /// ```
    /// let builder = meridian::Client::builder("http://127.0.0.1:8080");
    /// assert!(builder.build().is_ok());
    /// ```
    pub fn builder(base_url: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            base_url: base_url.into(),
            timeout: Duration::from_secs(30),
            user_agent: concat!("meridian-rust/", env!("CARGO_PKG_VERSION")).to_owned(),
            retry: RetryPolicy::default(),
            http: None,
            credentials: None,
            page_size: 100,
        }
    }

    /// A client with the default settings.
    ///
    /// ```
    /// let client = meridian::Client::new("http://127.0.0.1:8080").unwrap();
    /// assert_eq!(client.attempts(), 0);
    /// ```
    pub fn new(base_url: impl Into<String>) -> Result<Self, Error> {
        Self::builder(base_url).build()
    }

    /// A client that sends `token` (one you manage) with every request.
    ///
    /// ```
    /// let client = meridian::Client::with_token("http://127.0.0.1:8080", "eyJ…").unwrap();
    /// assert_eq!(client.base_url(), "http://127.0.0.1:8080");
    /// ```
    pub fn with_token(base_url: impl Into<String>, token: impl Into<String>) -> Result<Self, Error> {
        Self::builder(base_url).token(token).build()
    }

    /// Resumes a session whose tokens you kept (from an earlier [`Client::login`] or your
    /// own call of `POST /api/auth/login`): the SDK uses the access token and refreshes it
    /// with the refresh token when the server refuses it (once per call).
    ///
    /// ```no_run
    /// # async fn demo(client: meridian::Client) {
    /// client.resume_session("eyJ…access", "eyJ…refresh").await;
    /// # }
    /// ```
    pub async fn resume_session(&self, access_token: impl Into<String>, refresh_token: impl Into<String>) {
        let session = Session {
            access_token: access_token.into(),
            refresh_token: refresh_token.into(),
            // Unknown expiry: use it until the server refuses it.
            refresh_at: Instant::now() + Duration::from_secs(365 * 24 * 3600),
        };
        self.runtime.set_credentials(Credentials::Session(session)).await;
    }

    /// A client for a service acting with a client key (see
    /// [`ClientBuilder::client_credentials`]).
    ///
    /// ```
    /// let client = meridian::Client::with_client_credentials("http://127.0.0.1:8080", "mcl_id", "secret", ["trading:read"]).unwrap();
    /// assert_eq!(client.attempts(), 0);
    /// ```
    pub fn with_client_credentials<S: Into<String>>(
        base_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        scopes: impl IntoIterator<Item = S>,
    ) -> Result<Self, Error> {
        Self::builder(base_url)
            .client_credentials(client_id, client_secret, scopes)
            .build()
    }

    /// The server's base URL.
    ///
    /// ```
    /// let client = meridian::Client::new("http://127.0.0.1:8080/").unwrap();
    /// assert_eq!(client.base_url(), "http://127.0.0.1:8080");
    /// ```
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Every operation of the API, typed, named by operationId; requests go through this
    /// client's credentials and retry policy.
    ///
    /// ```
    /// let client = meridian::Client::new("http://127.0.0.1:8080").unwrap();
    /// let _operations: &meridian::GeneratedClient = client.api();
    /// ```
    pub fn api(&self) -> &GeneratedClient {
        &self.api
    }

    /// The page size of the `…_stream()` methods.
    ///
    /// ```
    /// assert_eq!(meridian::Client::new("http://127.0.0.1:8080").unwrap().page_size(), 100);
    /// ```
    pub fn page_size(&self) -> u64 {
        self.page_size
    }

    /// Requests sent over the network so far (retries and token refreshes included).
    ///
    /// ```
    /// assert_eq!(meridian::Client::new("http://127.0.0.1:8080").unwrap().attempts(), 0);
    /// ```
    pub fn attempts(&self) -> u64 {
        self.runtime.attempts()
    }

    /// Signs in: later requests carry the access token, refreshed before it expires and
    /// once on a 401. An account with 2FA needs [`Client::login_with_2fa`]
    /// ([`Error::TwoFactorRequired`] here).
    ///
    /// ```no_run
    /// # async fn demo(client: meridian::Client) -> Result<(), meridian::Error> {
    /// let signed_in = client.login("user@example.com", "SecurePass123!").await?;
    /// println!("signed in as {}", signed_in.user.email);
    /// # Ok(()) }
    /// ```
    pub async fn login(&self, email: &str, password: &str) -> Result<LoginSuccess, Error> {
        self.sign_in(email, password, None).await
    }

    /// Signs in to an account with 2FA, with the current TOTP code.
    ///
    /// ```no_run
    /// # async fn demo(client: meridian::Client) -> Result<(), meridian::Error> {
    /// client.login_with_2fa("user@example.com", "SecurePass123!", "123456").await?;
    /// # Ok(()) }
    /// ```
    pub async fn login_with_2fa(&self, email: &str, password: &str, totp_code: &str) -> Result<LoginSuccess, Error> {
        self.sign_in(email, password, Some(totp_code)).await
    }

    async fn sign_in(&self, email: &str, password: &str, totp: Option<&str>) -> Result<LoginSuccess, Error> {
        let invalid = |what: &str, e: String| Error::InvalidRequest(format!("{what}: {e}"));
        let body = types::LoginRequest {
            email: email
                .parse()
                .map_err(|e: types::error::ConversionError| invalid("email", e.to_string()))?,
            password: password
                .parse()
                .map_err(|e: types::error::ConversionError| invalid("password", e.to_string()))?,
            recovery_code: None,
            totp_code: totp
                .map(str::parse)
                .transpose()
                .map_err(|e: types::error::ConversionError| invalid("totp_code", e.to_string()))?,
            totp_token: None,
        };
        match self.login_with(&body).await?.into_inner() {
            LoginResponse::Success(success) => Ok(success),
            LoginResponse::TwoFactorRequired(required) => Err(Error::TwoFactorRequired(required.message)),
        }
    }

    /// Signs in with a login request as the API takes it (a TOTP code, a recovery code or
    /// a 2FA token included) and answers as the API does: on
    /// [`LoginResponse::Success`] the client keeps the session like [`Client::login`]; on
    /// [`LoginResponse::TwoFactorRequired`] it stays as it was. The Python bindings'
    /// `client.auth.login(…)` is this method.
    ///
    /// ```no_run
    /// # async fn demo(client: meridian::Client) -> Result<(), meridian::Error> {
    /// use meridian::types::{LoginRequest, LoginResponse};
    /// let body = LoginRequest {
    ///     email: "user@example.com".parse().unwrap(),
    ///     password: "SecurePass123!".parse().unwrap(),
    ///     recovery_code: None,
    ///     totp_code: Some("123456".parse().unwrap()),
    ///     totp_token: None,
    /// };
    /// match client.login_with(&body).await?.into_inner() {
    ///     LoginResponse::Success(success) => println!("signed in as {}", success.user.email),
    ///     LoginResponse::TwoFactorRequired(asked) => println!("{}", asked.message),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn login_with(&self, body: &types::LoginRequest) -> Result<Response<LoginResponse>, Error> {
        let response: Response<LoginResponse> = self.api.login(body).await?.into();
        if let LoginResponse::Success(success) = &*response {
            self.runtime
                .set_credentials(Credentials::Session(session_of(success)))
                .await;
        }
        Ok(response)
    }

    /// Signs out: the server revokes the session, and the client forgets its tokens.
    ///
    /// ```no_run
    /// # async fn demo(client: meridian::Client) -> Result<(), meridian::Error> {
    /// client.logout().await?;
    /// # Ok(()) }
    /// ```
    pub async fn logout(&self) -> Result<Response<types::AuthMessageResponse>, Error> {
        let result = self.api.logout().await;
        self.runtime.set_credentials(Credentials::None).await;
        Ok(result?.into())
    }
}

/// The session a login or refresh answer opens.
fn session_of(success: &LoginSuccess) -> Session {
    let lifetime = success
        .tokens
        .expires_in
        .map(|s| Duration::from_secs(s.get()))
        .unwrap_or(Duration::from_secs(900));
    Session {
        access_token: success.tokens.access_token.clone(),
        refresh_token: success.tokens.refresh_token.clone(),
        refresh_at: Instant::now() + lifetime.saturating_sub(REFRESH_MARGIN.min(lifetime / 2)),
    }
}

/// Exchanges a refresh token for a new session (`POST /api/auth/refresh`), outside the
/// runtime so that it carries no bearer token and is never retried.
pub(crate) async fn refresh(http: &reqwest::Client, base_url: &str, refresh_token: &str) -> Result<Session, Error> {
    let response = http
        .post(format!("{base_url}/api/auth/refresh"))
        .json(&serde_json::json!({ "refresh_token": refresh_token }))
        .send()
        .await
        .map_err(Error::Transport)?;
    let status = response.status().as_u16();
    let bytes = response.bytes().await.map_err(Error::Transport)?;
    if status != 200 {
        return Err(match serde_json::from_slice::<types::ApiErrorBody>(&bytes) {
            Ok(body) => Error::Api {
                status,
                body: Box::new(body),
                retry_after: None,
            },
            Err(_) => Error::Unexpected {
                status,
                request_id: None,
            },
        });
    }
    let success: LoginSuccess = serde_json::from_slice(&bytes).map_err(|e| Error::Decode(e.to_string()))?;
    Ok(session_of(&success))
}
