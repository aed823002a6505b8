//! poem-openapi extractors for the security requirements the specs use:
//! `[{bearerAuth: []}, {cookieAuth: []}]` ([`UserAuth`]), `[{}]` ([`Anonymous`]),
//! `[{basicAuth: []}]` ([`BasicHeader`]), `[{basicAuth: []}, {}]` ([`OptionalBasicAuth`]),
//! and the service groups' `[{bearerAuth: []}, {cookieAuth: []}, {clientCredentials: [scope]}]`
//! ([`ServiceAuth`] with [`ClientCredentials`]).
//! Failures are [`ApiError`]s carried inside `poem::Error`, so they reach the caller as the
//! one error body with the right status.

use base64::Engine;
use poem::Request;
use poem::http::header;
use std::marker::PhantomData;

use poem_openapi::registry::{MetaOAuthFlow, MetaOAuthFlows, MetaOAuthScope, MetaSecurityScheme, Registry};
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions, OAuthScopes};

use super::tokens::TokenKind;
use super::{Principal, authenticate};
use crate::error::ApiError;
use crate::state::AppState;

/// The cookie browser clients authenticate with (seed 000).
pub const ACCESS_COOKIE: &str = "accessToken";

fn register_bearer_and_cookie(registry: &mut Registry) {
    registry.create_security_scheme(
        "bearerAuth",
        MetaSecurityScheme {
            ty: "http",
            description: Some("`Authorization: Bearer <token>`: a user access, account or client token."),
            name: None,
            key_in: None,
            scheme: Some("bearer"),
            bearer_format: Some("JWT"),
            flows: None,
            openid_connect_url: None,
        },
    );
    registry.create_security_scheme(
        "cookieAuth",
        MetaSecurityScheme {
            ty: "apiKey",
            description: Some("The httpOnly `accessToken` cookie set by login (browser clients)."),
            name: Some(ACCESS_COOKIE),
            key_in: Some("cookie"),
            scheme: None,
            bearer_format: None,
            flows: None,
            openid_connect_url: None,
        },
    );
}

fn register_basic(registry: &mut Registry) {
    registry.create_security_scheme(
        "basicAuth",
        MetaSecurityScheme {
            ty: "http",
            description: Some("HTTP Basic credentials."),
            name: None,
            key_in: None,
            scheme: Some("basic"),
            bearer_format: None,
            flows: None,
            openid_connect_url: None,
        },
    );
}

/// The application state attached to the route.
pub fn state(req: &Request) -> poem::Result<&AppState> {
    req.data::<AppState>()
        .ok_or_else(|| ApiError::internal("AppState is not attached to the route").into())
}

/// The value of cookie `name`, if the request has it.
pub fn cookie(req: &Request, name: &str) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|line| {
            line.split(';').find_map(|pair| {
                let (k, v) = pair.trim().split_once('=')?;
                (k == name && !v.is_empty()).then(|| v.to_owned())
            })
        })
}

/// The access token of a request: the `accessToken` cookie first, then the bearer header
/// (seed 000's resolution order).
pub fn bearer_token(req: &Request) -> Option<String> {
    cookie(req, ACCESS_COOKIE).or_else(|| {
        let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
        let (scheme, token) = value.split_once(' ')?;
        (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim().to_owned())
    })
}

/// What a request's `Authorization` header holds as HTTP Basic credentials (RFC 7617).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BasicHeader {
    /// No `Authorization: Basic` header.
    Missing,
    /// A Basic header that is not base64 of `user:password` in UTF-8 (or holds a NUL).
    Malformed,
    /// `(user, password)`: the password is everything after the first colon.
    Credentials(String, String),
}

/// Reads `Authorization: Basic …`.
pub fn basic_header(req: &Request) -> BasicHeader {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return BasicHeader::Missing;
    };
    let Ok(value) = value.to_str() else {
        return BasicHeader::Malformed;
    };
    let (scheme, encoded) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
    if !scheme.eq_ignore_ascii_case("basic") {
        return BasicHeader::Missing;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .filter(|text| !text.contains('\0'));
    match decoded.as_deref().and_then(|text| text.split_once(':')) {
        Some((user, password)) => BasicHeader::Credentials(user.to_owned(), password.to_owned()),
        None => BasicHeader::Malformed,
    }
}

/// Tells the request's audit slot who it acts for.
pub fn record_actor(req: &Request, principal: &Principal, by_cookie: bool) {
    if let Some(slot) = req.extensions().get::<crate::http::RequestUser>() {
        let credential = match principal.kind {
            _ if by_cookie => "cookie",
            TokenKind::Access => "access_token",
            TokenKind::Account => "account_token",
            TokenKind::Client => "client_token",
        };
        slot.set(crate::http::Actor {
            user_id: principal.user.id.clone(),
            credential,
            client_key_id: principal.client_key_id.clone(),
        });
    }
}

/// Explicitly anonymous (`security: [{}]`): operations whose credentials travel in the body.
pub struct Anonymous;

impl<'a> ApiExtractor<'a> for Anonymous {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];
    type ParamType = ();
    type ParamRawType = ();

    fn security_schemes() -> Vec<&'static str> {
        Vec::new()
    }

    fn has_security_fallback() -> bool {
        true
    }

    async fn from_request(
        _req: &'a Request,
        _body: &mut poem::RequestBody,
        _opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        Ok(Self)
    }
}

/// HTTP Basic credentials, required (`security: [{basicAuth: []}]`): the extractor never
/// fails by itself, so the handler can answer a malformed header (400) apart from a missing
/// one (401).
impl<'a> ApiExtractor<'a> for BasicHeader {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        register_basic(registry);
    }

    fn security_schemes() -> Vec<&'static str> {
        vec!["basicAuth"]
    }

    async fn from_request(
        req: &'a Request,
        _body: &mut poem::RequestBody,
        _opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        Ok(basic_header(req))
    }
}

/// Optional HTTP Basic credentials (`security: [{basicAuth: []}, {}]`): client credentials by
/// Basic or in the form body (RFC 6749 §2.3.1).
pub struct OptionalBasicAuth(pub BasicHeader);

impl<'a> ApiExtractor<'a> for OptionalBasicAuth {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        register_basic(registry);
    }

    fn security_schemes() -> Vec<&'static str> {
        vec!["basicAuth"]
    }

    fn has_security_fallback() -> bool {
        true
    }

    async fn from_request(
        req: &'a Request,
        _body: &mut poem::RequestBody,
        _opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        Ok(Self(basic_header(req)))
    }
}

/// A client-key scope: what a client token may do on the service groups (`clientCredentials`
/// flow scopes of the spec).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientScope {
    /// Read orders, balances, positions, portfolio and trade history.
    TradingRead,
    /// Place and cancel orders.
    TradingWrite,
    /// Read the credit score and credit history.
    CreditRead,
    /// Calculate the credit score.
    CreditWrite,
    /// Read loan applications, loans and schedules; use the loan calculator.
    LoansRead,
    /// Apply for loans, cancel applications and make payments.
    LoansWrite,
}

impl ClientScope {
    /// Every scope, in the spec's order.
    pub const ALL: [ClientScope; 6] = [
        ClientScope::TradingRead,
        ClientScope::TradingWrite,
        ClientScope::CreditRead,
        ClientScope::CreditWrite,
        ClientScope::LoansRead,
        ClientScope::LoansWrite,
    ];

    /// The wire name, e.g. `trading:write`.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientScope::TradingRead => "trading:read",
            ClientScope::TradingWrite => "trading:write",
            ClientScope::CreditRead => "credit:read",
            ClientScope::CreditWrite => "credit:write",
            ClientScope::LoansRead => "loans:read",
            ClientScope::LoansWrite => "loans:write",
        }
    }

    fn description(self) -> &'static str {
        match self {
            ClientScope::TradingRead => "Read orders, balances, positions, portfolio and trade history.",
            ClientScope::TradingWrite => "Place and cancel orders.",
            ClientScope::CreditRead => "Read the credit score and credit history.",
            ClientScope::CreditWrite => "Calculate the credit score.",
            ClientScope::LoansRead => "Read loan applications, loans and schedules; use the loan calculator.",
            ClientScope::LoansWrite => "Apply for loans, cancel applications and make payments.",
        }
    }
}

impl OAuthScopes for ClientScope {
    fn meta() -> Vec<MetaOAuthScope> {
        ClientScope::ALL
            .iter()
            .map(|s| MetaOAuthScope {
                name: s.as_str(),
                description: Some(s.description()),
            })
            .collect()
    }

    fn name(&self) -> &'static str {
        self.as_str()
    }
}

/// Users, and client tokens that hold `scope`.
fn admit_scope(principal: &Principal, scope: ClientScope) -> Result<(), ApiError> {
    let scope = scope.as_str();
    if principal.kind == TokenKind::Client && !principal.scopes.iter().any(|s| s == scope) {
        return Err(ApiError::Forbidden(format!(
            "This client token lacks the `{scope}` scope."
        )));
    }
    Ok(())
}

/// Declares the marker types of [`ServiceAuth`]: each admits users and client tokens holding
/// its scope.
macro_rules! required_scopes {
    ($($(#[$doc:meta])* $name:ident => $scope:ident),* $(,)?) => {$(
        $(#[$doc])*
        pub struct $name;
        impl Admission for $name {
            fn admit(principal: &Principal) -> Result<(), ApiError> {
                admit_scope(principal, ClientScope::$scope)
            }
        }
    )*};
}

required_scopes!(
    /// `trading:read`.
    TradingRead => TradingRead,
    /// `trading:write`.
    TradingWrite => TradingWrite,
    /// `credit:read`.
    CreditRead => CreditRead,
    /// `credit:write`.
    CreditWrite => CreditWrite,
    /// `loans:read`.
    LoansRead => LoansRead,
    /// `loans:write`.
    LoansWrite => LoansWrite,
);

/// Whom an operation secured by `[{bearerAuth: []}, {cookieAuth: []}]` admits, beyond what
/// the token itself proves: decides on the authenticated principal (403 when refused).
pub trait Admission: Send + Sync + 'static {
    /// `Ok` when `principal` may call the operation.
    fn admit(principal: &Principal) -> Result<(), ApiError>;
}

/// Users only (accounts, client keys): a client token is refused with 403, since client keys
/// act on trading, credit and loans, never on accounts.
pub struct UsersOnly;

impl Admission for UsersOnly {
    fn admit(principal: &Principal) -> Result<(), ApiError> {
        if principal.kind == TokenKind::Client {
            return Err(ApiError::Forbidden(
                "Client tokens act on trading, credit and loans only; use an account or user token here.".into(),
            ));
        }
        Ok(())
    }
}

/// A caller authenticated by a bearer token or the `accessToken` cookie (user access,
/// account or client token), admitted by `A`.
pub struct BearerAuth<A: Admission>(pub Principal, PhantomData<A>);

/// A signed-in user (access or account token, by bearer header or cookie); client tokens
/// get 403.
pub type UserAuth = BearerAuth<UsersOnly>;

/// Who a trading, credit or loans request acts for: a signed-in user, or a client key's
/// owner through a client token that holds scope `S` (403 without it). Its spec side is
/// `[{bearerAuth: []}, {cookieAuth: []}]`; the operation adds the third alternative with a
/// [`ClientCredentials`] parameter carrying the same scope, since poem-openapi gives one
/// parameter's schemes one scope list.
pub type ServiceAuth<S> = BearerAuth<S>;

impl<'a, A: Admission> ApiExtractor<'a> for BearerAuth<A> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        register_bearer_and_cookie(registry);
    }

    fn security_schemes() -> Vec<&'static str> {
        vec!["bearerAuth", "cookieAuth"]
    }

    async fn from_request(
        req: &'a Request,
        _body: &mut poem::RequestBody,
        _opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let state = state(req)?;
        let token = bearer_token(req)
            .ok_or_else(|| ApiError::Unauthorized("Authentication required: send a bearer token.".into()))?;
        let principal = authenticate(
            state,
            &token,
            &[TokenKind::Access, TokenKind::Account, TokenKind::Client],
        )
        .await?;
        A::admit(&principal)?;
        record_actor(req, &principal, cookie(req, ACCESS_COOKIE).is_some());
        Ok(Self(principal, PhantomData))
    }
}

/// The `clientCredentials` alternative of a service operation's security requirement
/// (`#[oai(scope = "ClientScope::…")]` on the parameter). It only documents the OAuth 2.0
/// scheme: [`ServiceAuth`] authenticates and checks the scope.
pub struct ClientCredentials;

impl<'a> ApiExtractor<'a> for ClientCredentials {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        registry.create_security_scheme(
            "clientCredentials",
            MetaSecurityScheme {
                ty: "oauth2",
                description: Some("OAuth 2.0 client-credentials grant with a client key."),
                name: None,
                key_in: None,
                scheme: None,
                bearer_format: None,
                flows: Some(MetaOAuthFlows {
                    implicit: None,
                    password: None,
                    client_credentials: Some(MetaOAuthFlow {
                        authorization_url: None,
                        token_url: Some("/api/oauth/token"),
                        refresh_url: None,
                        scopes: ClientScope::meta(),
                    }),
                    authorization_code: None,
                }),
                openid_connect_url: None,
            },
        );
    }

    fn security_schemes() -> Vec<&'static str> {
        vec!["clientCredentials"]
    }

    async fn from_request(
        _req: &'a Request,
        _body: &mut poem::RequestBody,
        _opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        Ok(Self)
    }
}
