//! The one error type of the API (`ApiError`) and its one JSON body (`ApiErrorBody` in the spec).
//!
//! Handlers return `ApiResult<T, S>`: `T` is the success response and `S` a status set
//! (declared with [`error_statuses!`](crate::error_statuses)) naming the error statuses the
//! operation documents, so the server's generated spec lists exactly the hand-written ones.
//! poem-openapi's own parse failures are turned into the same body through
//! [`Success::from_parse_request_error`](poem_openapi::ApiResponse::from_parse_request_error).

use std::marker::PhantomData;

use poem::http::{HeaderValue, StatusCode, header};
use poem::{IntoResponse, Response};
use poem_openapi::ApiResponse;
use poem_openapi::registry::{
    MetaHeader, MetaMediaType, MetaResponse, MetaResponses, MetaSchema, MetaSchemaRef, Registry,
};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::http::request_id;

/// One validation problem, naming the field it concerns (`FieldError` in the spec).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The offending field: a JSON property path for bodies, the parameter name otherwise.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    /// A field error for `field` saying `message`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Every failure the API reports. Each variant says why it exists; all render as the one
/// error body with the HTTP status of [`ApiError::status`].
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed or fails validation (bad JSON, wrong type, a rule broken).
    /// `errors` names each offending field when there is one.
    #[error("{message}")]
    BadRequest {
        /// What is wrong, for a person.
        message: String,
        /// One entry per offending field.
        errors: Vec<FieldError>,
    },
    /// No bearer token, or credentials that do not match (a wrong password or code).
    #[error("{0}")]
    Unauthorized(String),
    /// A bearer token that is invalid, expired or revoked (its session ended, its client key
    /// deleted or disabled). The 401 says `WWW-Authenticate: Bearer error="invalid_token"`
    /// (RFC 6750 §3.1), which tells clients a refreshed token may succeed; a plain
    /// [`ApiError::Unauthorized`] does not, so an SDK never resends a wrong password.
    #[error("{0}")]
    InvalidToken(String),
    /// Authenticated, but not allowed: role too low, banned, token outside its scopes.
    #[error("{0}")]
    Forbidden(String),
    /// The resource does not exist (or belongs to someone else), or no route matches.
    #[error("{0}")]
    NotFound(String),
    /// The route exists but not with this method.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// A duplicate (unique constraint) or a state conflict.
    #[error("{0}")]
    Conflict(String),
    /// The request body is larger than the configured limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The media type of the body is not one the operation accepts.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The account is locked after repeated failures; `retry_after` seconds until it unlocks.
    #[error("{message}")]
    Locked {
        /// What happened and when it ends.
        message: String,
        /// Seconds until the lock ends.
        retry_after: u64,
    },
    /// The caller's rate-limit budget for this endpoint is spent.
    #[error("{message}")]
    TooManyRequests {
        /// Which budget was exceeded.
        message: String,
        /// Seconds until the window resets.
        retry_after: u64,
    },
    /// A bug or an unexpected failure of a dependency; details go to the log, not the caller.
    #[error("{0}")]
    Internal(String),
    /// A dependency the request needs (the database) is unreachable; `extra` carries
    /// operation-specific fields (the health report on `GET /api/health`).
    #[error("{message}")]
    ServiceUnavailable {
        /// What is unavailable.
        message: String,
        /// Seconds after which a retry may succeed.
        retry_after: u64,
        /// Extra top-level fields for the body.
        extra: Map<String, Value>,
    },
}

impl ApiError {
    /// A 400 with one field error.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        let error = FieldError::new(field, message);
        Self::BadRequest {
            message: format!("Invalid {}: {}", error.field, error.message),
            errors: vec![error],
        }
    }

    /// A 400 without field errors.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest {
            message: message.into(),
            errors: Vec::new(),
        }
    }

    /// A 500 whose cause is logged (with the request id) but not shown to the caller.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(request_id = %request_id::current(), %cause, "internal error");
        Self::Internal("An unexpected error occurred; quote the request id when reporting it.".into())
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) | Self::InvalidToken(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Locked { .. } => StatusCode::LOCKED,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::ServiceUnavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The `error` field: the HTTP reason phrase, or the error type where the seeds name one.
    pub fn error_name(&self) -> &'static str {
        match self {
            Self::TooManyRequests { .. } => "Rate Limit Exceeded",
            other => other.status().canonical_reason().unwrap_or("Error"),
        }
    }

    /// The body as JSON, with the request id of the current request.
    pub fn body(&self) -> Value {
        let mut body = Map::new();
        if let Self::ServiceUnavailable { extra, .. } = self {
            body.extend(extra.clone());
        }
        body.insert("success".into(), Value::Bool(false));
        body.insert("error".into(), Value::String(self.error_name().into()));
        body.insert("message".into(), Value::String(self.to_string()));
        body.insert("request_id".into(), Value::String(request_id::current()));
        if let Self::BadRequest { errors, .. } = self
            && !errors.is_empty()
        {
            body.insert("errors".into(), serde_json::to_value(errors).unwrap_or(Value::Null));
        }
        Value::Object(body)
    }

    /// Converts one of poem's own errors (parse failure, missing route, body too large, …).
    pub fn from_poem(err: &poem::Error) -> Self {
        if let Some(error) = err.downcast_ref::<ApiError>() {
            return error.clone();
        }
        let status = err.status();
        let message = poem_message(err);
        match status {
            StatusCode::UNAUTHORIZED => Self::Unauthorized(message),
            StatusCode::FORBIDDEN => Self::Forbidden(message),
            StatusCode::NOT_FOUND => Self::NotFound(message),
            StatusCode::METHOD_NOT_ALLOWED => Self::MethodNotAllowed(message),
            StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge(message),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::UnsupportedMediaType(message),
            s if s.is_server_error() => Self::internal(err),
            _ => {
                let errors = field_of(err).into_iter().collect();
                Self::BadRequest { message, errors }
            }
        }
    }
}

/// A readable message for one of poem's errors.
fn poem_message(err: &poem::Error) -> String {
    use poem::error::{MethodNotAllowedError, NotFoundError, ReadBodyError};
    use poem_openapi::error::{ContentTypeError, ParseParamError, ParsePathError, ParseRequestPayloadError};
    if err.is::<NotFoundError>() {
        return "No route matches this path.".into();
    }
    if err.is::<MethodNotAllowedError>() {
        return "This path does not accept this method.".into();
    }
    if err.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return "The request body is larger than the server accepts.".into();
    }
    if let Some(e) = err.downcast_ref::<ParseParamError>() {
        return format!("Invalid parameter `{}`: {}", e.name, e.reason);
    }
    if let Some(e) = err.downcast_ref::<ParsePathError>() {
        return format!("Invalid parameter `{}`: {}", path_param(e.name), e.reason);
    }
    // A body that ends before its declared length, or chunks that cannot be decoded.
    if let Some(e @ (ReadBodyError::Io(_) | ReadBodyError::Utf8(_))) = err.downcast_ref::<ReadBodyError>() {
        return format!("The request body could not be read: {e}.");
    }
    if let Some(e) = err.downcast_ref::<ParseRequestPayloadError>() {
        return format!("Invalid request body: {}", e.reason);
    }
    if let Some(ContentTypeError::NotSupported { content_type }) = err.downcast_ref::<ContentTypeError>() {
        return format!("Unsupported content type `{content_type}`.");
    }
    if let Some(ContentTypeError::ExpectContentType) = err.downcast_ref::<ContentTypeError>() {
        return "The request has a body but no Content-Type.".into();
    }
    let text = err.to_string();
    if text.is_empty() {
        err.status().canonical_reason().unwrap_or("Error").to_string()
    } else {
        text
    }
}

/// The field a parse error concerns, when poem-openapi says which.
fn field_of(err: &poem::Error) -> Option<FieldError> {
    use poem::error::ReadBodyError;
    use poem_openapi::error::{ParseParamError, ParsePathError, ParseRequestPayloadError};
    if let Some(e) = err.downcast_ref::<ParseParamError>() {
        return Some(FieldError::new(e.name, e.reason.clone()));
    }
    if let Some(e) = err.downcast_ref::<ParsePathError>() {
        return Some(FieldError::new(path_param(e.name), e.reason.clone()));
    }
    if let Some(e @ (ReadBodyError::Io(_) | ReadBodyError::Utf8(_))) = err.downcast_ref::<ReadBodyError>() {
        return Some(FieldError::new("body", format!("could not be read: {e}")));
    }
    let reason = err
        .downcast_ref::<ParseRequestPayloadError>()
        .map(|e| e.reason.clone())?;
    Some(FieldError::new(
        json_field_from_reason(&reason).unwrap_or_else(|| "body".into()),
        reason,
    ))
}

/// The documented name of a path parameter poem-openapi calls `param0`, `param1`, … (see
/// [`path_param_name`](crate::http::validate::path_param_name)).
fn path_param(internal: &str) -> String {
    crate::http::validate::path_param_name(internal).unwrap_or_else(|| internal.to_owned())
}

/// poem-openapi reports body failures as text like ``failed to parse "Foo": [email] expected string``
/// or `` field `email` is required``; pull the field path out of it.
pub fn json_field_from_reason(reason: &str) -> Option<String> {
    if let Some(start) = reason.find('[')
        && let Some(len) = reason[start + 1..].find(']')
    {
        return Some(reason[start + 1..start + 1 + len].to_string());
    }
    if let Some(start) = reason.find('`')
        && let Some(len) = reason[start + 1..].find('`')
    {
        return Some(reason[start + 1..start + 1 + len].to_string());
    }
    None
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = Response::builder()
            .status(self.status())
            .content_type("application/json")
            .body(self.body().to_string());
        let retry_after = match &self {
            Self::Locked { retry_after, .. }
            | Self::TooManyRequests { retry_after, .. }
            | Self::ServiceUnavailable { retry_after, .. } => Some(*retry_after),
            _ => None,
        };
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        match &self {
            Self::InvalidToken(_) => {
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"meridian\", error=\"invalid_token\""),
                );
            }
            Self::Unauthorized(_) => {
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"meridian\""),
                );
            }
            _ => {}
        }
        response
    }
}

impl From<ApiError> for poem::Error {
    fn from(error: ApiError) -> Self {
        // Kept as the source, so `ApiError::from_poem` recovers it intact (status, message,
        // field errors) wherever poem hands the error on.
        let status = error.status();
        poem::Error::new(error, status)
    }
}

/// The error statuses one operation documents. Implemented by the marker types that
/// [`error_statuses!`](crate::error_statuses) declares.
pub trait ErrorStatuses: Send + Sync + 'static {
    /// The statuses, ascending.
    const STATUSES: &'static [u16];
}

/// Declares a marker type listing the error statuses of a family of operations, e.g.
/// `error_statuses!(PublicErrors: 400, 429, 500, 503);`.
#[macro_export]
macro_rules! error_statuses {
    ($(#[$meta:meta])* $name:ident: $($status:literal),+ $(,)?) => {
        $(#[$meta])*
        pub struct $name;
        impl $crate::error::ErrorStatuses for $name {
            const STATUSES: &'static [u16] = &[$($status),+];
        }
    };
}

/// The error half of [`ApiResult`]: an [`ApiError`] documented with the statuses of `S`.
pub struct Errors<S>(pub ApiError, PhantomData<S>);

impl<S> From<ApiError> for Errors<S> {
    fn from(error: ApiError) -> Self {
        Self(error, PhantomData)
    }
}

impl<S> From<crate::db::DbError> for Errors<S> {
    fn from(error: crate::db::DbError) -> Self {
        Self(error.into(), PhantomData)
    }
}

impl<S: Send + Sync> IntoResponse for Errors<S> {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

impl<S> From<Errors<S>> for poem::Error {
    fn from(error: Errors<S>) -> Self {
        error.0.into()
    }
}

/// The reason phrases the spec's error responses use as descriptions.
fn error_description(status: u16) -> &'static str {
    match status {
        400 => "The request is malformed or fails validation.",
        401 => "Missing, invalid, expired or revoked credentials.",
        403 => "Authenticated but not allowed.",
        404 => "Not found.",
        409 => "Conflict with the current state.",
        413 => "The request body is too large.",
        415 => "The body's media type is not one the operation accepts.",
        423 => "The account is locked.",
        429 => "Rate limit exceeded.",
        500 => "Unexpected server error.",
        503 => "A dependency is unavailable.",
        _ => "Error.",
    }
}

/// The headers every API response carries (request id, rate-limit budget).
pub fn standard_headers() -> Vec<MetaHeader> {
    let int = || {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            minimum: Some(0.0),
            ..MetaSchema::new_with_format("integer", "int64")
        }))
    };
    let header = |name: &str, description: &str, schema: MetaSchemaRef| MetaHeader {
        name: name.into(),
        description: Some(description.into()),
        required: false,
        deprecated: false,
        schema,
    };
    vec![
        header(
            "X-Request-Id",
            "The request id, echoed when the caller sent a valid one.",
            MetaSchemaRef::Inline(Box::new(MetaSchema {
                min_length: Some(1),
                max_length: Some(128),
                pattern: Some(request_id::PATTERN.into()),
                ..MetaSchema::new("string")
            })),
        ),
        header("X-RateLimit-Limit", "Requests allowed in the current window.", int()),
        header("X-RateLimit-Remaining", "Requests left in the current window.", int()),
        header(
            "X-RateLimit-Reset",
            "Unix time (seconds) at which the window resets.",
            int(),
        ),
    ]
}

/// `Retry-After`, documented on 423, 429 and 503.
fn retry_after_header() -> MetaHeader {
    MetaHeader {
        name: "Retry-After".into(),
        description: Some("Seconds to wait before retrying.".into()),
        required: false,
        deprecated: false,
        schema: MetaSchemaRef::Inline(Box::new(MetaSchema {
            minimum: Some(0.0),
            ..MetaSchema::new_with_format("integer", "int64")
        })),
    }
}

/// `WWW-Authenticate`, documented on 401.
fn www_authenticate_header() -> MetaHeader {
    MetaHeader {
        name: "WWW-Authenticate".into(),
        description: Some("The authentication challenge.".into()),
        required: false,
        deprecated: false,
        schema: MetaSchemaRef::Inline(Box::new(MetaSchema::new("string"))),
    }
}

impl<S: ErrorStatuses> ApiResponse for Errors<S> {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: S::STATUSES
                .iter()
                .map(|&status| {
                    let mut headers = standard_headers();
                    if matches!(status, 423 | 429 | 503) {
                        headers.push(retry_after_header());
                    }
                    if status == 401 {
                        headers.push(www_authenticate_header());
                    }
                    MetaResponse {
                        description: error_description(status),
                        status: Some(status),
                        status_range: None,
                        content: vec![MetaMediaType {
                            content_type: "application/json",
                            schema: MetaSchemaRef::Reference("ApiErrorBody".into()),
                        }],
                        headers,
                    }
                })
                .collect(),
        }
    }

    fn register(registry: &mut Registry) {
        registry.create_schema::<ApiErrorBodySchema, _>("ApiErrorBody".into(), |registry| {
            registry.create_schema::<FieldErrorSchema, _>("FieldError".into(), |_| MetaSchema {
                required: vec!["field", "message"],
                properties: vec![
                    ("field", MetaSchemaRef::Inline(Box::new(MetaSchema::new("string")))),
                    ("message", MetaSchemaRef::Inline(Box::new(MetaSchema::new("string")))),
                ],
                ..MetaSchema::new("object")
            });
            MetaSchema {
                description: Some("The one error body of the Meridian API."),
                required: vec!["success", "error", "message", "request_id"],
                properties: vec![
                    (
                        "success",
                        MetaSchemaRef::Inline(Box::new(MetaSchema {
                            enum_items: vec![Value::Bool(false)],
                            ..MetaSchema::new("boolean")
                        })),
                    ),
                    ("error", MetaSchemaRef::Inline(Box::new(MetaSchema::new("string")))),
                    ("message", MetaSchemaRef::Inline(Box::new(MetaSchema::new("string")))),
                    ("request_id", MetaSchemaRef::Inline(Box::new(MetaSchema::new("string")))),
                    (
                        "errors",
                        MetaSchemaRef::Inline(Box::new(MetaSchema {
                            items: Some(Box::new(MetaSchemaRef::Reference("FieldError".into()))),
                            ..MetaSchema::new("array")
                        })),
                    ),
                ],
                ..MetaSchema::new("object")
            }
        });
    }
}

/// Registry key for the `ApiErrorBody` schema.
struct ApiErrorBodySchema;
/// Registry key for the `FieldError` schema.
struct FieldErrorSchema;

/// What a request that fails to parse before its handler runs becomes: the error of the
/// operation's error shape ([`ApiError`] everywhere, RFC 6749's on `/api/oauth/*`).
pub trait Rejection: IntoResponse + Send + Sized {
    /// The rejection for one of poem's errors.
    fn from_poem_error(err: &poem::Error) -> Self;
}

impl Rejection for ApiError {
    fn from_poem_error(err: &poem::Error) -> Self {
        ApiError::from_poem(err)
    }
}

/// The success half of [`ApiResult`]: the operation's response, or — when poem-openapi fails
/// to parse the request before the handler runs — the error it was turned into.
pub enum Success<T, R = ApiError> {
    /// The handler's response.
    Ok(T),
    /// A request that failed to parse, in the operation's error shape.
    Rejected(R),
}

impl<T, R> From<T> for Success<T, R> {
    fn from(value: T) -> Self {
        Self::Ok(value)
    }
}

impl<T: IntoResponse, R: Rejection> IntoResponse for Success<T, R> {
    fn into_response(self) -> Response {
        match self {
            Self::Ok(value) => value.into_response(),
            Self::Rejected(error) => error.into_response(),
        }
    }
}

impl<T: ApiResponse, R: Rejection> ApiResponse for Success<T, R> {
    const BAD_REQUEST_HANDLER: bool = true;

    fn meta() -> MetaResponses {
        let mut meta = T::meta();
        for response in &mut meta.responses {
            response.headers.extend(standard_headers());
        }
        meta
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }

    fn from_parse_request_error(err: poem::Error) -> Self {
        Self::Rejected(R::from_poem_error(&err))
    }
}

/// What every handler returns: its success response or an error documented with `S`.
pub type ApiResult<T, S> = Result<Success<T>, Errors<S>>;

#[cfg(test)]
mod tests {
    use super::*;

    // Found by the hostile-input suite: a body that ends before its `Content-Length` (or whose
    // chunk sizes overflow) was a 400 naming no field, with poem's bare I/O message.
    #[test]
    fn an_unreadable_body_is_a_400_naming_the_body() {
        let io = std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "connection closed before message completed",
        );
        let error = ApiError::from_poem(&poem::error::ReadBodyError::Io(io).into());
        let ApiError::BadRequest { message, errors } = error else {
            panic!("a 400")
        };
        assert!(message.starts_with("The request body could not be read"), "{message}");
        assert_eq!(errors, vec![FieldError::new("body", errors[0].message.clone())]);
        let too_large = ApiError::from_poem(&poem::error::ReadBodyError::PayloadTooLarge.into());
        assert_eq!(too_large.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[test]
    fn path_parse_errors_keep_poem_openapis_name_outside_a_request() {
        let error = poem_openapi::error::ParsePathError {
            name: "param0",
            reason: "invalid digit found in string".into(),
        };
        let ApiError::BadRequest { errors, .. } = ApiError::from_poem(&error.into()) else {
            panic!("a 400")
        };
        assert_eq!(errors[0].field, "param0");
    }
}
