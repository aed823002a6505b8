//! The RFC 6749 side of `/api/oauth/*`: the §5.2 error body (`OAuthErrorBody` in the spec)
//! as [`OAuthError`], documented per operation by [`OAuthErrors<S>`] (like
//! [`Errors<S>`](crate::error::Errors) does for `ApiErrorBody`), the success wrapper
//! [`OAuthSuccess<T>`] that turns request-parse failures into `invalid_request`, and the
//! `application/x-www-form-urlencoded` body extractor [`OAuthForm<T>`] (RFC 6749 §3.2:
//! unknown parameters ignored, repeated ones refused, empty ones treated as absent).

use std::collections::{BTreeMap, BTreeSet};
use std::marker::PhantomData;

use poem::http::{HeaderValue, StatusCode, header};
use poem::{IntoResponse, Request, RequestBody, Response};
use poem_openapi::registry::{
    MetaHeader, MetaMediaType, MetaRequest, MetaResponse, MetaResponses, MetaSchema, MetaSchemaRef, Registry,
};
use poem_openapi::types::Type;
use poem_openapi::{ApiExtractor, ApiExtractorType, ApiResponse, ExtractParamOptions};
use serde_json::{Map, Value, json};

use crate::error::{ApiError, ErrorStatuses, standard_headers};

/// The RFC 6749 §5.2 error codes Meridian uses (and `temporarily_unavailable`,
/// `server_error` for rate limits and failures).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthErrorCode {
    /// Malformed request: missing, repeated or ill-formed parameter, wrong content type.
    InvalidRequest,
    /// Client authentication failed.
    InvalidClient,
    /// The refresh token is invalid, expired, revoked or of another client.
    InvalidGrant,
    /// The client may not do this (its owner is banned, or the token is another client's).
    UnauthorizedClient,
    /// A `grant_type` other than `client_credentials` and `refresh_token`.
    UnsupportedGrantType,
    /// A scope outside the client's.
    InvalidScope,
    /// Rate limit spent or a dependency down.
    TemporarilyUnavailable,
    /// An unexpected failure.
    ServerError,
}

impl OAuthErrorCode {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::ServerError => "server_error",
        }
    }
}

/// One RFC 6749 §5.2 error answer.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{code:?}: {description}")]
pub struct OAuthError {
    /// HTTP status.
    pub status: StatusCode,
    /// The `error` code.
    pub code: OAuthErrorCode,
    /// The `error_description`.
    pub description: String,
    /// Add `WWW-Authenticate: Basic realm="meridian"` (a refused HTTP Basic client).
    pub basic_challenge: bool,
    /// `Retry-After` seconds (429, 503).
    pub retry_after: Option<u64>,
}

impl OAuthError {
    fn new(status: StatusCode, code: OAuthErrorCode, description: impl Into<String>) -> Self {
        Self {
            status,
            code,
            description: description.into(),
            basic_challenge: false,
            retry_after: None,
        }
    }

    /// 400 `invalid_request`.
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, OAuthErrorCode::InvalidRequest, description)
    }

    /// `invalid_client`: 401 with a Basic challenge when the client used HTTP Basic (or sent
    /// no authentication at all), 400 when it authenticated in the body (RFC 6749 §5.2).
    pub fn invalid_client(by_basic: bool, description: impl Into<String>) -> Self {
        if by_basic {
            Self {
                basic_challenge: true,
                ..Self::new(StatusCode::UNAUTHORIZED, OAuthErrorCode::InvalidClient, description)
            }
        } else {
            Self::new(StatusCode::BAD_REQUEST, OAuthErrorCode::InvalidClient, description)
        }
    }

    /// 400 `invalid_grant`.
    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, OAuthErrorCode::InvalidGrant, description)
    }

    /// 400 `unauthorized_client`.
    pub fn unauthorized_client(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, OAuthErrorCode::UnauthorizedClient, description)
    }

    /// 400 `unsupported_grant_type`.
    pub fn unsupported_grant_type(description: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            OAuthErrorCode::UnsupportedGrantType,
            description,
        )
    }

    /// 400 `invalid_scope`.
    pub fn invalid_scope(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, OAuthErrorCode::InvalidScope, description)
    }

    /// The OAuth form of one of the API's own errors (database down, body too large, …).
    pub fn from_api(error: &ApiError) -> Self {
        match error {
            ApiError::ServiceUnavailable { retry_after, .. } => Self {
                retry_after: Some(*retry_after),
                ..Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    OAuthErrorCode::TemporarilyUnavailable,
                    "The service is temporarily unavailable; please retry shortly.",
                )
            },
            ApiError::TooManyRequests { retry_after, message } => Self {
                retry_after: Some(*retry_after),
                ..Self::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    OAuthErrorCode::TemporarilyUnavailable,
                    message.clone(),
                )
            },
            ApiError::PayloadTooLarge(message) => Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                OAuthErrorCode::InvalidRequest,
                message.clone(),
            ),
            ApiError::Unauthorized(message) => Self::invalid_client(true, message.clone()),
            ApiError::Internal(message) => Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                OAuthErrorCode::ServerError,
                message.clone(),
            ),
            other => Self::invalid_request(other.to_string()),
        }
    }

    /// The error of a request poem-openapi (or [`OAuthForm`]) could not parse.
    pub fn from_poem(err: &poem::Error) -> Self {
        if let Some(error) = err.downcast_ref::<OAuthError>() {
            return error.clone();
        }
        Self::from_api(&ApiError::from_poem(err))
    }

    /// The §5.2 body.
    pub fn body(&self) -> Value {
        json!({"error": self.code.as_str(), "error_description": self.description})
    }
}

impl From<ApiError> for OAuthError {
    fn from(error: ApiError) -> Self {
        Self::from_api(&error)
    }
}

impl From<crate::db::DbError> for OAuthError {
    fn from(error: crate::db::DbError) -> Self {
        Self::from_api(&error.into())
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let mut response = Response::builder()
            .status(self.status)
            .content_type("application/json")
            .header(header::CACHE_CONTROL, "no-store")
            .header(header::PRAGMA, "no-cache")
            .body(self.body().to_string());
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.basic_challenge {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"meridian\""),
            );
        }
        response
    }
}

impl From<OAuthError> for poem::Error {
    fn from(error: OAuthError) -> Self {
        let status = error.status;
        poem::Error::new(error, status)
    }
}

/// The error half of [`OAuthResult`]: an [`OAuthError`] documented with the statuses of `S`
/// and the `OAuthErrorBody` schema.
pub struct OAuthErrors<S>(pub OAuthError, PhantomData<S>);

impl<S> From<OAuthError> for OAuthErrors<S> {
    fn from(error: OAuthError) -> Self {
        Self(error, PhantomData)
    }
}

impl<S> From<ApiError> for OAuthErrors<S> {
    fn from(error: ApiError) -> Self {
        Self(error.into(), PhantomData)
    }
}

impl<S> From<crate::db::DbError> for OAuthErrors<S> {
    fn from(error: crate::db::DbError) -> Self {
        Self(error.into(), PhantomData)
    }
}

impl<S: Send + Sync> IntoResponse for OAuthErrors<S> {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

impl<S> From<OAuthErrors<S>> for poem::Error {
    fn from(error: OAuthErrors<S>) -> Self {
        // As a finished response: the middleware passes it on untouched (the one-error-body
        // conversion would otherwise turn it into `ApiErrorBody`).
        poem::Error::from_response(error.0.into_response())
    }
}

/// A documented response header with an integer or string schema.
fn extra_header(name: &str, description: &str, integer: bool) -> MetaHeader {
    let schema = if integer {
        MetaSchema {
            minimum: Some(0.0),
            ..MetaSchema::new_with_format("integer", "int64")
        }
    } else {
        MetaSchema::new("string")
    };
    MetaHeader {
        name: name.into(),
        description: Some(description.into()),
        required: false,
        deprecated: false,
        schema: MetaSchemaRef::Inline(Box::new(schema)),
    }
}

/// The descriptions of the documented OAuth error statuses.
fn oauth_error_description(status: u16) -> &'static str {
    match status {
        400 => {
            "RFC 6749 §5.2 error (invalid_request, invalid_client, invalid_grant, unauthorized_client, unsupported_grant_type, invalid_scope)."
        }
        401 => "invalid_client for a refused HTTP Basic client, with a Basic challenge.",
        413 => "The request body is too large (invalid_request).",
        429 => "Rate limit exceeded (temporarily_unavailable).",
        500 => "Unexpected server error (server_error).",
        503 => "A dependency is unavailable (temporarily_unavailable).",
        _ => "Error.",
    }
}

/// Registry key for the `OAuthErrorBody` schema.
struct OAuthErrorBodySchema;

impl<S: ErrorStatuses> ApiResponse for OAuthErrors<S> {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: S::STATUSES
                .iter()
                .map(|&status| {
                    let mut headers = standard_headers();
                    if matches!(status, 429 | 503) {
                        headers.push(extra_header("Retry-After", "Seconds to wait before retrying.", true));
                    }
                    if status == 401 {
                        headers.push(extra_header("WWW-Authenticate", "The authentication challenge.", false));
                    }
                    MetaResponse {
                        description: oauth_error_description(status),
                        status: Some(status),
                        status_range: None,
                        content: vec![MetaMediaType {
                            content_type: "application/json",
                            schema: MetaSchemaRef::Reference("OAuthErrorBody".into()),
                        }],
                        headers,
                    }
                })
                .collect(),
        }
    }

    fn register(registry: &mut Registry) {
        registry.create_schema::<OAuthErrorBodySchema, _>("OAuthErrorBody".into(), |_| {
            let codes = [
                "invalid_request",
                "invalid_client",
                "invalid_grant",
                "unauthorized_client",
                "unsupported_grant_type",
                "invalid_scope",
                "unsupported_token_type",
                "temporarily_unavailable",
                "server_error",
            ];
            MetaSchema {
                description: Some("RFC 6749 §5.2 error body of the `/api/oauth/*` endpoints."),
                required: vec!["error"],
                properties: vec![
                    (
                        "error",
                        MetaSchemaRef::Inline(Box::new(MetaSchema {
                            enum_items: codes.iter().map(|c| Value::String((*c).into())).collect(),
                            ..MetaSchema::new("string")
                        })),
                    ),
                    (
                        "error_description",
                        MetaSchemaRef::Inline(Box::new(MetaSchema::new("string"))),
                    ),
                    (
                        "error_uri",
                        MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format("string", "uri"))),
                    ),
                ],
                ..MetaSchema::new("object")
            }
        });
    }
}

/// The success half of [`OAuthResult`]: the operation's response, or — when the request
/// fails to parse before the handler runs — its `invalid_request` (or 413) error.
pub type OAuthSuccess<T> = crate::error::Success<T, OAuthError>;

impl crate::error::Rejection for OAuthError {
    fn from_poem_error(err: &poem::Error) -> Self {
        OAuthError::from_poem(err)
    }
}

/// What every `/api/oauth/*` handler returns.
pub type OAuthResult<T, S> = Result<OAuthSuccess<T>, OAuthErrors<S>>;

/// The parameters of a form body: each known one taken at most once.
#[derive(Debug, Default)]
pub struct FormParams {
    values: BTreeMap<String, String>,
    repeated: BTreeSet<String>,
}

impl FormParams {
    /// Parses an `application/x-www-form-urlencoded` body. Parameters without a value are
    /// treated as omitted (RFC 6749 §3.1).
    pub fn parse(body: &[u8]) -> Result<Self, OAuthError> {
        let mut params = Self::default();
        for pair in body.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
            let (name, value) = match pair.iter().position(|b| *b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &[][..]),
            };
            let name =
                form_decode(name).ok_or_else(|| OAuthError::invalid_request("The form body is not valid UTF-8."))?;
            let value =
                form_decode(value).ok_or_else(|| OAuthError::invalid_request("The form body is not valid UTF-8."))?;
            if value.is_empty() {
                continue;
            }
            if params.values.insert(name.clone(), value).is_some() {
                params.repeated.insert(name);
            }
        }
        Ok(params)
    }

    /// The value of parameter `name`; `invalid_request` when it was sent more than once.
    pub fn take(&mut self, name: &str) -> Result<Option<String>, OAuthError> {
        if self.repeated.contains(name) {
            return Err(OAuthError::invalid_request(format!(
                "The parameter `{name}` is repeated."
            )));
        }
        Ok(self.values.remove(name))
    }

    /// Like [`FormParams::take`], and `invalid_request` when the value is longer than `max`
    /// characters (the spec's `maxLength`).
    pub fn take_max(&mut self, name: &str, max: usize) -> Result<Option<String>, OAuthError> {
        let value = self.take(name)?;
        if value.as_ref().is_some_and(|v| v.chars().count() > max) {
            return Err(OAuthError::invalid_request(format!(
                "The parameter `{name}` is longer than {max} characters."
            )));
        }
        Ok(value)
    }
}

/// Decodes one `application/x-www-form-urlencoded` component: `+` is a space, `%XX` a byte
/// (a malformed escape stays as written); `None` when the result is not UTF-8.
pub fn form_decode(input: &[u8]) -> Option<String> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < input.len() => match (hex(input[i + 1]), hex(input[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// A form body that can be read from [`FormParams`].
pub trait FromForm: Type + Sized {
    /// Reads the parameters this body knows (others are ignored).
    fn from_form(params: &mut FormParams) -> Result<Self, OAuthError>;
}

/// A required `application/x-www-form-urlencoded` request body documented with `T`'s
/// schema. Another content type, a non-UTF-8 body or a repeated parameter is
/// `invalid_request`.
pub struct OAuthForm<T>(pub T);

/// The form media type.
const FORM: &str = "application/x-www-form-urlencoded";

impl<'a, T: FromForm + Send> ApiExtractor<'a> for OAuthForm<T> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];
    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        T::register(registry);
    }

    fn request_meta() -> Option<MetaRequest> {
        Some(MetaRequest {
            description: None,
            content: vec![MetaMediaType {
                content_type: FORM,
                schema: T::schema_ref(),
            }],
            required: true,
        })
    }

    async fn from_request(
        req: &'a Request,
        body: &mut RequestBody,
        _opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case(FORM));
        if !is_form {
            return Err(OAuthError::invalid_request(format!("The body must be `{FORM}`.")).into());
        }
        let bytes = body.take()?.into_bytes().await?;
        let mut params = FormParams::parse(&bytes)?;
        Ok(Self(T::from_form(&mut params)?))
    }
}

/// A JSON object with no documented properties (`{type: object}`), sent as `{}`.
#[derive(Debug, Clone, Copy, Default)]
pub struct EmptyObject;

impl Type for EmptyObject {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> std::borrow::Cow<'static, str> {
        "empty_object".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema::new("object")))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl poem_openapi::types::ToJSON for EmptyObject {
    fn to_json(&self) -> Option<Value> {
        Some(Value::Object(Map::new()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_form_components() {
        assert_eq!(form_decode(b"a+b%20c").as_deref(), Some("a b c"));
        assert_eq!(form_decode(b"trading%3Aread").as_deref(), Some("trading:read"));
        assert_eq!(form_decode(b"100%").as_deref(), Some("100%"));
        assert_eq!(form_decode(b"%zz").as_deref(), Some("%zz"));
        assert_eq!(form_decode(b"%4").as_deref(), Some("%4"));
        assert_eq!(form_decode(b"%41").as_deref(), Some("A"));
        assert!(form_decode(b"%ff").is_none());
    }

    #[test]
    fn forms_ignore_unknown_and_empty_parameters_and_refuse_repeats() {
        let mut p = FormParams::parse(b"grant_type=client_credentials&x=1&x=2&scope=&a").unwrap();
        assert_eq!(p.take("grant_type").unwrap().as_deref(), Some("client_credentials"));
        assert_eq!(p.take("scope").unwrap(), None);
        assert!(p.take("x").is_err());
        let mut p = FormParams::parse(b"token=a&token=b").unwrap();
        assert_eq!(p.take("token").unwrap_err().code, OAuthErrorCode::InvalidRequest);
    }
}
