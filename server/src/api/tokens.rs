//! Auth group, token grants: Bloq account tokens, Bloq client-token grants, the RFC 6749 token and RFC 7009 revocation endpoints, RFC 8414 metadata.

use chrono::{Duration, Utc};
use poem::http::{HeaderValue, header};
use poem::{IntoResponse, Request, Response};
use poem_openapi::param::Header;
use poem_openapi::payload::Json;
use poem_openapi::registry::{MetaResponses, Registry};
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};

use super::ApiTags;
use super::auth::TokenType;
use super::oauth_error::{
    EmptyObject, FormParams, FromForm, OAuthError, OAuthErrors, OAuthForm, OAuthResult, form_decode,
};
use super::statuses::{AccountToken, OAuth, Public, Refresh};
use crate::auth::clients::{self, GrantError, TokenHint};
use crate::auth::extract::{Anonymous, BasicHeader, OptionalBasicAuth};
use crate::auth::flows::{self, ClientInfo, SecondFactor};
use crate::auth::secret;
use crate::auth::tokens::{self, ClaimsExtra, TokenKind};
use crate::db::client_keys::ClientKeyRow;
use crate::db::sessions::{self, SessionRow};
use crate::db::users;
use crate::error::{ApiError, Errors, Success};
use crate::state::AppState;

/// `POST /api/auth` answer (seed 004, camelCase).
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct AccountTokenResponse {
    /// The account token (12 hours).
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: Option<TokenType>,
    /// Lifetime in seconds (43200).
    pub expires_in: Option<i64>,
}

/// The Bloq grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "camelCase")]
pub enum ClientGrantType {
    /// `clientId` + `clientSecret`.
    ClientCredentials,
    /// `refreshToken`.
    RefreshToken,
}

/// `POST /api/auth/token` body (seed 004, camelCase).
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientTokenRequest {
    /// The grant.
    pub grant_type: ClientGrantType,
    /// The key's client id (`clientCredentials`).
    pub client_id: Option<String>,
    /// The key's secret (`clientCredentials`).
    pub client_secret: Option<String>,
    /// A client refresh token (`refreshToken`).
    pub refresh_token: Option<String>,
    /// Space-separated scopes to narrow the access token to.
    pub scope: Option<String>,
}

/// `POST /api/auth/token` answer (seed 004, camelCase).
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct ClientTokenResponse {
    /// Client access token (1 hour).
    pub access_token: String,
    /// Client refresh token (1 year; the same one comes back from a refresh).
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: Option<TokenType>,
    /// Access token lifetime in seconds (3600).
    pub expires_in: Option<i64>,
    /// The access token's scopes, space-separated.
    pub scope: Option<String>,
}

/// The RFC 6749 grants served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum OAuthGrantType {
    /// §4.4.
    ClientCredentials,
    /// §6.
    RefreshToken,
}

/// `POST /api/oauth/token` form body (RFC 6749; unknown parameters ignored).
#[derive(Debug, Object)]
pub struct OAuthTokenRequest {
    /// The grant.
    pub grant_type: OAuthGrantType,
    /// The client id, when the client authenticates in the body.
    pub client_id: Option<String>,
    /// The client secret, when the client authenticates in the body.
    pub client_secret: Option<String>,
    /// A client refresh token (`refresh_token` grant).
    pub refresh_token: Option<String>,
    /// Space-separated scopes.
    pub scope: Option<String>,
}

impl FromForm for OAuthTokenRequest {
    fn from_form(params: &mut FormParams) -> Result<Self, OAuthError> {
        let grant_type = match params.take("grant_type")?.as_deref() {
            None => return Err(OAuthError::invalid_request("The parameter `grant_type` is required.")),
            Some("client_credentials") => OAuthGrantType::ClientCredentials,
            Some("refresh_token") => OAuthGrantType::RefreshToken,
            Some(_) => {
                return Err(OAuthError::unsupported_grant_type(
                    "Supported grant types: client_credentials, refresh_token.",
                ));
            }
        };
        Ok(Self {
            grant_type,
            client_id: params.take_max("client_id", 256)?,
            client_secret: params.take_max("client_secret", 512)?,
            refresh_token: params.take_max("refresh_token", 4096)?,
            scope: params.take_max("scope", 512)?,
        })
    }
}

/// RFC 6749 §5.1 answer.
#[derive(Debug, Object)]
pub struct OAuthTokenResponse {
    /// Client access token (1 hour).
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: TokenType,
    /// Access token lifetime in seconds.
    pub expires_in: i64,
    /// Granted scopes, space-separated; omitted when empty.
    #[oai(skip_serializing_if_is_none)]
    pub scope: Option<String>,
    /// The (unchanged) refresh token, on the `refresh_token` grant.
    #[oai(skip_serializing_if_is_none)]
    pub refresh_token: Option<String>,
}

/// The token endpoint's 200, with RFC 6749 §5.1's cache headers.
#[derive(ApiResponse)]
pub enum OAuthTokenOk {
    /// RFC 6749 §5.1 access token response.
    #[oai(status = 200)]
    Ok(
        Json<OAuthTokenResponse>,
        /// Always `no-store`.
        #[oai(header = "Cache-Control")]
        String,
        /// Always `no-cache`.
        #[oai(header = "Pragma")]
        String,
    ),
}

/// RFC 7009 token type hints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum OAuthTokenTypeHint {
    /// A client access token.
    AccessToken,
    /// A client refresh token.
    RefreshToken,
    /// Sent without a value: counts as omitted (RFC 6749 §3.2). The form parser drops empty
    /// values, so this variant only documents that the spec accepts one.
    #[oai(rename = "")]
    Omitted,
}

/// `POST /api/oauth/revoke` form body (RFC 7009; unknown parameters ignored).
#[derive(Debug, Object)]
pub struct OAuthRevokeRequest {
    /// The token to revoke.
    pub token: String,
    /// What kind of token it is (a hint).
    pub token_type_hint: Option<OAuthTokenTypeHint>,
    /// The client id, when the client authenticates in the body.
    pub client_id: Option<String>,
    /// The client secret, when the client authenticates in the body.
    pub client_secret: Option<String>,
}

impl FromForm for OAuthRevokeRequest {
    fn from_form(params: &mut FormParams) -> Result<Self, OAuthError> {
        let token = params
            .take_max("token", 4096)?
            .ok_or_else(|| OAuthError::invalid_request("The parameter `token` is required."))?;
        let token_type_hint = match params.take("token_type_hint")?.as_deref() {
            None => None,
            Some("access_token") => Some(OAuthTokenTypeHint::AccessToken),
            Some("refresh_token") => Some(OAuthTokenTypeHint::RefreshToken),
            Some(_) => {
                return Err(OAuthError::invalid_request(
                    "`token_type_hint` must be access_token or refresh_token.",
                ));
            }
        };
        Ok(Self {
            token,
            token_type_hint,
            client_id: params.take_max("client_id", 256)?,
            client_secret: params.take_max("client_secret", 512)?,
        })
    }
}

/// Client authentication methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ClientAuthMethod {
    /// HTTP Basic (RFC 6749 §2.3.1).
    ClientSecretBasic,
    /// `client_id` + `client_secret` in the body.
    ClientSecretPost,
}

/// A client key scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum ClientKeyScope {
    /// Read orders, balances, positions, portfolio and trades.
    #[oai(rename = "trading:read")]
    TradingRead,
    /// Place and cancel orders.
    #[oai(rename = "trading:write")]
    TradingWrite,
    /// Read the credit score and history.
    #[oai(rename = "credit:read")]
    CreditRead,
    /// Calculate the credit score.
    #[oai(rename = "credit:write")]
    CreditWrite,
    /// Read loans.
    #[oai(rename = "loans:read")]
    LoansRead,
    /// Apply for loans, cancel, pay.
    #[oai(rename = "loans:write")]
    LoansWrite,
}

impl ClientKeyScope {
    /// Every scope, in canonical order.
    pub const ALL: [Self; 6] = [
        Self::TradingRead,
        Self::TradingWrite,
        Self::CreditRead,
        Self::CreditWrite,
        Self::LoansRead,
        Self::LoansWrite,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        clients::SCOPES[Self::ALL.iter().position(|s| *s == self).unwrap_or(0)]
    }

    /// The scope named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        clients::SCOPES.iter().position(|s| *s == name).map(|i| Self::ALL[i])
    }

    /// The scopes of a space-separated list (unknown names skipped).
    pub fn list(names: &str) -> Vec<Self> {
        names.split_whitespace().filter_map(Self::parse).collect()
    }
}

/// RFC 8414 metadata.
#[derive(Debug, Object)]
pub struct OAuthServerMetadata {
    /// The issuer: the server's public base URL.
    pub issuer: String,
    /// `POST /api/oauth/token`.
    pub token_endpoint: String,
    /// `POST /api/oauth/revoke`.
    pub revocation_endpoint: String,
    /// Supported grants.
    pub grant_types_supported: Vec<OAuthGrantType>,
    /// Client authentication at the token endpoint.
    pub token_endpoint_auth_methods_supported: Vec<ClientAuthMethod>,
    /// Client authentication at the revocation endpoint.
    pub revocation_endpoint_auth_methods_supported: Vec<ClientAuthMethod>,
    /// Every scope.
    pub scopes_supported: Vec<ClientKeyScope>,
    /// Empty: no authorization endpoint.
    pub response_types_supported: Vec<String>,
}

/// A response whose 401s carry `WWW-Authenticate: Basic realm="meridian"` (HTTP Basic
/// endpoints) instead of the bearer challenge.
pub struct BasicChallenge<R>(pub R);

impl<R: IntoResponse> IntoResponse for BasicChallenge<R> {
    fn into_response(self) -> Response {
        let mut response = self.0.into_response();
        if response.status() == poem::http::StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"meridian\""),
            );
        }
        response
    }
}

impl<R: ApiResponse> ApiResponse for BasicChallenge<R> {
    const BAD_REQUEST_HANDLER: bool = R::BAD_REQUEST_HANDLER;

    fn meta() -> MetaResponses {
        R::meta()
    }

    fn register(registry: &mut Registry) {
        R::register(registry);
    }

    fn from_parse_request_error(err: poem::Error) -> Self {
        Self(R::from_parse_request_error(err))
    }
}

impl<T> From<T> for BasicChallenge<Success<T>> {
    fn from(value: T) -> Self {
        Self(Success::Ok(value))
    }
}

impl<S> From<ApiError> for BasicChallenge<Errors<S>> {
    fn from(error: ApiError) -> Self {
        Self(error.into())
    }
}

impl<S> From<crate::db::DbError> for BasicChallenge<Errors<S>> {
    fn from(error: crate::db::DbError) -> Self {
        Self(error.into())
    }
}

impl<S: Send + Sync> From<BasicChallenge<Errors<S>>> for poem::Error {
    fn from(error: BasicChallenge<Errors<S>>) -> Self {
        poem::Error::from_response(error.into_response())
    }
}

/// The result of an HTTP Basic operation.
pub type BasicResult<T, S> = Result<BasicChallenge<Success<T>>, BasicChallenge<Errors<S>>>;

/// How the client of an `/api/oauth/*` request authenticated.
enum ClientCredentials {
    /// HTTP Basic (§2.3.1), decoded.
    Basic(String, String),
    /// `client_id` + `client_secret` in the body.
    Body(String, String),
}

/// The client credentials of an `/api/oauth/*` request (HTTP Basic, form-urldecoded, or the
/// body), or `None`; a Basic header that cannot be read is `invalid_client` (401).
fn client_credentials(
    basic: OptionalBasicAuth,
    body_id: Option<&str>,
    body_secret: Option<&str>,
) -> Result<Option<ClientCredentials>, OAuthError> {
    if basic.0 != BasicHeader::Missing {
        let decoded = match basic.0 {
            BasicHeader::Credentials(id, secret) => form_decode(id.as_bytes()).zip(form_decode(secret.as_bytes())),
            _ => None,
        };
        let Some((id, secret)) = decoded else {
            return Err(OAuthError::invalid_client(
                true,
                "The HTTP Basic credentials cannot be read.",
            ));
        };
        if body_secret.is_some() {
            return Err(OAuthError::invalid_request(
                "Authenticate the client one way: HTTP Basic or client_secret in the body, not both.",
            ));
        }
        if body_id.is_some_and(|body_id| body_id != id) {
            return Err(OAuthError::invalid_request(
                "The body's client_id differs from the HTTP Basic client.",
            ));
        }
        return Ok(Some(ClientCredentials::Basic(id, secret)));
    }
    match (body_id, body_secret) {
        (Some(id), Some(secret)) => Ok(Some(ClientCredentials::Body(id.to_owned(), secret.to_owned()))),
        (Some(_), None) => Err(OAuthError::invalid_client(
            false,
            "Client authentication failed: no client_secret.",
        )),
        (None, Some(_)) => Err(OAuthError::invalid_request("client_secret came without client_id.")),
        (None, None) => Ok(None),
    }
}

/// The OAuth form of a grant failure; `by_basic`: how the client authenticated.
fn oauth_grant_error(error: GrantError, by_basic: bool) -> OAuthError {
    match error {
        GrantError::InvalidClient => OAuthError::invalid_client(by_basic, "Client authentication failed."),
        GrantError::InvalidGrant => OAuthError::invalid_grant("The refresh token is invalid, expired or revoked."),
        GrantError::InvalidScope(message) => OAuthError::invalid_scope(message),
        GrantError::Banned => OAuthError::unauthorized_client("The client key's owner is banned."),
        GrantError::OtherClient => OAuthError::unauthorized_client("The token was issued to another client."),
        GrantError::Internal(error) => OAuthError::from_api(&error),
    }
}

/// The Bloq form of a grant failure.
fn bloq_grant_error(error: GrantError) -> ApiError {
    match error {
        GrantError::InvalidClient => ApiError::Unauthorized("Invalid client credentials.".into()),
        GrantError::InvalidGrant => ApiError::Unauthorized("The refresh token is invalid, expired or revoked.".into()),
        GrantError::InvalidScope(message) => ApiError::field("scope", message),
        GrantError::Banned => ApiError::Forbidden("The client key's owner is banned.".into()),
        GrantError::OtherClient => ApiError::Forbidden("The token was issued to another client.".into()),
        GrantError::Internal(error) => error,
    }
}

/// Authenticates `credentials` as a client key.
async fn authenticate(state: &AppState, credentials: &ClientCredentials) -> Result<ClientKeyRow, OAuthError> {
    let (id, secret, by_basic) = match credentials {
        ClientCredentials::Basic(id, secret) => (id, secret, true),
        ClientCredentials::Body(id, secret) => (id, secret, false),
    };
    clients::authenticate_client(state, id, secret)
        .await
        .map_err(|e| oauth_grant_error(e, by_basic))
}

/// The public base URL of the server: `X-Forwarded-Proto` / `X-Forwarded-Host` when a proxy
/// set them, else the `Host` header over HTTP.
fn base_url(req: &Request) -> String {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(',').next().unwrap_or("").trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let valid_host = |h: &String| h.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    let proto = header("x-forwarded-proto")
        .filter(|p| p == "http" || p == "https")
        .unwrap_or_else(|| "http".into());
    let host = header("x-forwarded-host")
        .filter(valid_host)
        .or_else(|| header("host").filter(valid_host))
        .unwrap_or_else(|| "localhost".into());
    format!("{proto}://{host}")
}

/// The auth group's token operations.
pub struct TokensApi {
    state: AppState,
}

impl TokensApi {
    /// Over `state`.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[OpenApi(tag = "ApiTags::Auth")]
impl TokensApi {
    /// Get an account token with HTTP Basic credentials
    #[oai(path = "/api/auth", method = "post", operation_id = "create_account_token")]
    async fn create_account_token(
        &self,
        basic: BasicHeader,
        req: &Request,
        /// A current TOTP code when the account has 2FA enabled.
        #[oai(name = "X-TOTP-Code", validator(pattern = r"^[0-9]{6}$"))]
        totp_code: Header<Option<String>>,
    ) -> BasicResult<Json<AccountTokenResponse>, AccountToken> {
        let (login, password) = match basic {
            BasicHeader::Credentials(login, password) => (login, password),
            BasicHeader::Missing => {
                return Err(
                    ApiError::Unauthorized("Send HTTP Basic credentials (email or user id, password).".into()).into(),
                );
            }
            BasicHeader::Malformed => {
                return Err(ApiError::field(
                    "Authorization",
                    "must be `Basic` with base64 of `email-or-userId:password`",
                )
                .into());
            }
        };
        let second = SecondFactor {
            totp_code: totp_code.0,
            recovery_code: None,
        };
        let Some(user) = flows::check_credentials(&self.state, &login, &password, &second).await? else {
            return Err(ApiError::Unauthorized(
                "Two-factor authentication is on: send a current code in the X-TOTP-Code header.".into(),
            )
            .into());
        };
        let at = Utc::now().naive_utc();
        let client = ClientInfo::from_request(req);
        let session = SessionRow {
            id: secret::id("session"),
            user_id: user.id.clone(),
            kind: "account".into(),
            ip_address: client.ip,
            user_agent: client.user_agent,
            created_at: at,
            expires_at: at + Duration::seconds(tokens::ACCOUNT_TTL_SECS),
            revoked_at: None,
        };
        let mut conn = self.state.db.conn().await?;
        users::record_login(&mut conn, &user.id, at).await?;
        sessions::create(&mut conn, &session, None).await?;
        let extra = ClaimsExtra {
            sid: Some(session.id.clone()),
            role: Some(user.role.clone()),
            ..Default::default()
        };
        let (token, _) = self
            .state
            .keys
            .issue(TokenKind::Account, &user.id, tokens::ACCOUNT_TTL_SECS, extra);
        Ok(Json(AccountTokenResponse {
            access_token: token,
            token_type: Some(TokenType::Bearer),
            expires_in: Some(tokens::ACCOUNT_TTL_SECS),
        })
        .into())
    }

    /// Get client tokens from a client key (Bloq grants)
    #[oai(path = "/api/auth/token", method = "post", operation_id = "create_client_token")]
    async fn create_client_token(
        &self,
        _auth: Anonymous,
        body: Json<ClientTokenRequest>,
    ) -> crate::error::ApiResult<Json<ClientTokenResponse>, Refresh> {
        let body = body.0;
        let extra = |field: &str| ApiError::field(field, "is not used by this grantType");
        let grant = match body.grant_type {
            ClientGrantType::ClientCredentials => {
                if body.refresh_token.is_some() {
                    return Err(extra("refreshToken").into());
                }
                let (Some(id), Some(secret)) = (&body.client_id, &body.client_secret) else {
                    let missing = if body.client_id.is_none() {
                        "clientId"
                    } else {
                        "clientSecret"
                    };
                    return Err(ApiError::field(missing, "is required for clientCredentials").into());
                };
                let key = clients::authenticate_client(&self.state, id, secret)
                    .await
                    .map_err(bloq_grant_error)?;
                let scope = clients::narrow_scope(body.scope.as_deref(), &key.scopes).map_err(bloq_grant_error)?;
                clients::client_credentials(&self.state, &key, &scope, true)
                    .await
                    .map_err(bloq_grant_error)?
            }
            ClientGrantType::RefreshToken => {
                if body.client_id.is_some() {
                    return Err(extra("clientId").into());
                }
                if body.client_secret.is_some() {
                    return Err(extra("clientSecret").into());
                }
                let Some(token) = &body.refresh_token else {
                    return Err(ApiError::field("refreshToken", "is required for refreshToken").into());
                };
                clients::refresh(&self.state, token, body.scope.as_deref(), None)
                    .await
                    .map_err(bloq_grant_error)?
            }
        };
        Ok(Json(ClientTokenResponse {
            access_token: grant.access_token,
            refresh_token: grant.refresh_token.unwrap_or_default(),
            token_type: Some(TokenType::Bearer),
            expires_in: Some(grant.expires_in),
            scope: Some(grant.scope),
        })
        .into())
    }

    /// Get a client access token (OAuth 2.0 token endpoint)
    #[oai(path = "/api/oauth/token", method = "post", operation_id = "oauth_token")]
    async fn oauth_token(
        &self,
        basic: OptionalBasicAuth,
        body: OAuthForm<OAuthTokenRequest>,
    ) -> OAuthResult<OAuthTokenOk, OAuth> {
        let body = body.0;
        let credentials = client_credentials(basic, body.client_id.as_deref(), body.client_secret.as_deref())?;
        let by_basic = !matches!(credentials, Some(ClientCredentials::Body(..)));
        let client = match &credentials {
            Some(credentials) => Some(authenticate(&self.state, credentials).await?),
            None => None,
        };
        let grant = match body.grant_type {
            OAuthGrantType::ClientCredentials => {
                let Some(key) = &client else {
                    return Err(OAuthError::invalid_client(
                        true,
                        "Client authentication is required: HTTP Basic or client_id and client_secret.",
                    )
                    .into());
                };
                let scope = clients::narrow_scope(body.scope.as_deref(), &key.scopes)
                    .map_err(|e| oauth_grant_error(e, by_basic))?;
                clients::client_credentials(&self.state, key, &scope, false)
                    .await
                    .map_err(|e| oauth_grant_error(e, by_basic))?
            }
            OAuthGrantType::RefreshToken => {
                let Some(token) = &body.refresh_token else {
                    return Err(OAuthError::invalid_request("The parameter `refresh_token` is required.").into());
                };
                clients::refresh(&self.state, token, body.scope.as_deref(), client.as_ref())
                    .await
                    .map_err(|e| oauth_grant_error(e, by_basic))?
            }
        };
        Ok(OAuthTokenOk::Ok(
            Json(OAuthTokenResponse {
                access_token: grant.access_token,
                token_type: TokenType::Bearer,
                expires_in: grant.expires_in,
                scope: Some(grant.scope).filter(|s| !s.is_empty()),
                refresh_token: grant.refresh_token,
            }),
            "no-store".into(),
            "no-cache".into(),
        )
        .into())
    }

    /// Revoke a client token (OAuth 2.0 revocation)
    #[oai(path = "/api/oauth/revoke", method = "post", operation_id = "oauth_revoke")]
    async fn oauth_revoke(
        &self,
        basic: OptionalBasicAuth,
        body: OAuthForm<OAuthRevokeRequest>,
    ) -> OAuthResult<Json<EmptyObject>, OAuth> {
        let body = body.0;
        let credentials = client_credentials(basic, body.client_id.as_deref(), body.client_secret.as_deref())?;
        let client = match &credentials {
            Some(credentials) => Some(authenticate(&self.state, credentials).await?),
            None => None,
        };
        let hint = body.token_type_hint.and_then(|h| match h {
            OAuthTokenTypeHint::AccessToken => Some(TokenHint::AccessToken),
            OAuthTokenTypeHint::RefreshToken => Some(TokenHint::RefreshToken),
            OAuthTokenTypeHint::Omitted => None,
        });
        clients::revoke(&self.state, &body.token, hint, client.as_ref())
            .await
            .map_err(|e| OAuthErrors::from(oauth_grant_error(e, true)))?;
        Ok(Json(EmptyObject).into())
    }

    /// Get the OAuth 2.0 authorization server metadata
    #[oai(
        path = "/.well-known/oauth-authorization-server",
        method = "get",
        operation_id = "get_oauth_metadata"
    )]
    async fn get_oauth_metadata(&self, req: &Request) -> crate::error::ApiResult<Json<OAuthServerMetadata>, Public> {
        let issuer = base_url(req);
        let methods = || vec![ClientAuthMethod::ClientSecretBasic, ClientAuthMethod::ClientSecretPost];
        Ok(Json(OAuthServerMetadata {
            token_endpoint: format!("{issuer}/api/oauth/token"),
            revocation_endpoint: format!("{issuer}/api/oauth/revoke"),
            issuer,
            grant_types_supported: vec![OAuthGrantType::ClientCredentials, OAuthGrantType::RefreshToken],
            token_endpoint_auth_methods_supported: methods(),
            revocation_endpoint_auth_methods_supported: methods(),
            scopes_supported: ClientKeyScope::ALL.to_vec(),
            response_types_supported: Vec::new(),
        })
        .into())
    }
}
