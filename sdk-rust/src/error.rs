//! The SDK's one error type: an API error in Meridian's error shape (status, body, request
//! id), or a transport, timeout or decoding failure, with predicates callers match on.

use std::fmt;

use crate::generated::types::ApiErrorBody;

/// Everything a Meridian call can fail with.
///
/// ```
/// let error = meridian::Error::InvalidRequest("page must be at least 1".into());
/// assert!(!error.is_not_found());
/// assert_eq!(error.to_string(), "invalid request: page must be at least 1");
/// ```
#[derive(Debug)]
pub enum Error {
    /// The server answered with an error status and Meridian's error body.
    Api {
        /// The HTTP status.
        status: u16,
        /// The body: `error`, `message`, `errors[]` (per field) and `request_id` (boxed:
        /// keeps `Result<_, Error>` small).
        body: Box<ApiErrorBody>,
        /// `Retry-After` in seconds (429 and 503).
        retry_after: Option<u64>,
    },
    /// The server answered with a status the API does not document for the operation.
    Unexpected {
        /// The HTTP status.
        status: u16,
        /// The `X-Request-Id` response header.
        request_id: Option<String>,
    },
    /// The client-credentials grant failed (unknown or deleted key, wrong secret, a scope
    /// the key does not hold): oauth2's description of the failure.
    ClientCredentials(String),
    /// The account has 2FA enabled: sign in with `login_with_2fa` (the server's message).
    TwoFactorRequired(String),
    /// The request timed out.
    Timeout(reqwest::Error),
    /// The request could not be sent or the response not read.
    Transport(reqwest::Error),
    /// A documented response could not be decoded.
    Decode(String),
    /// The request was refused before sending (a value out of its documented range).
    InvalidRequest(String),
}

impl Error {
    /// The HTTP status, when the server answered.
    ///
    /// ```
    /// assert_eq!(meridian::Error::Decode("x".into()).status(), None);
    /// ```
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } | Self::Unexpected { status, .. } => Some(*status),
            Self::Timeout(e) | Self::Transport(e) => e.status().map(|s| s.as_u16()),
            Self::Decode(_) | Self::InvalidRequest(_) | Self::TwoFactorRequired(_) | Self::ClientCredentials(_) => None,
        }
    }

    /// The request id the server gave the failed request.
    ///
    /// ```
    /// assert_eq!(meridian::Error::Decode("x".into()).request_id(), None);
    /// ```
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Api { body, .. } => Some(&body.request_id),
            Self::Unexpected { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// The error body, for API errors.
    ///
    /// ```
    /// assert!(meridian::Error::Decode("x".into()).body().is_none());
    /// ```
    pub fn body(&self) -> Option<&ApiErrorBody> {
        match self {
            Self::Api { body, .. } => Some(body),
            _ => None,
        }
    }

    /// 400: the request was invalid (see `body().errors` for the fields).
    ///
    /// ```
    /// assert!(!meridian::Error::Decode("x".into()).is_bad_request());
    /// ```
    pub fn is_bad_request(&self) -> bool {
        self.status() == Some(400)
    }

    /// 401: not signed in, or the token expired or was revoked.
    ///
    /// ```
    /// assert!(!meridian::Error::Decode("x".into()).is_unauthorized());
    /// ```
    pub fn is_unauthorized(&self) -> bool {
        self.status() == Some(401)
    }

    /// 403: signed in but not allowed (role, scope, ban).
    ///
    /// ```
    /// assert!(!meridian::Error::Decode("x".into()).is_forbidden());
    /// ```
    pub fn is_forbidden(&self) -> bool {
        self.status() == Some(403)
    }

    /// 404: no such resource (or not yours).
    ///
    /// ```
    /// assert!(!meridian::Error::Decode("x".into()).is_not_found());
    /// ```
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// 409: a conflict with the resource's state or an earlier request.
    ///
    /// ```
    /// assert!(!meridian::Error::Decode("x".into()).is_conflict());
    /// ```
    pub fn is_conflict(&self) -> bool {
        self.status() == Some(409)
    }

    /// 423: the account is locked after failed sign-ins.
    ///
    /// ```
    /// assert!(!meridian::Error::Decode("x".into()).is_locked());
    /// ```
    pub fn is_locked(&self) -> bool {
        self.status() == Some(423)
    }

    /// 429: a rate limit was hit; see [`Error::retry_after`].
    ///
    /// ```
    /// assert!(!meridian::Error::Decode("x".into()).is_rate_limited());
    /// ```
    pub fn is_rate_limited(&self) -> bool {
        self.status() == Some(429)
    }

    /// Seconds to wait before trying again (429, 503).
    ///
    /// ```
    /// assert_eq!(meridian::Error::Decode("x".into()).retry_after(), None);
    /// ```
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::Api { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// A timeout, a connection failure, or a 5xx: the same request may succeed later.
    ///
    /// ```
    /// assert!(!meridian::Error::InvalidRequest("x".into()).is_transient());
    /// ```
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Timeout(_) | Self::Transport(_)) || self.status().is_some_and(|s| s == 429 || s >= 500)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Api { status, body, .. } => write!(
                f,
                "{status} {}: {} (request id {})",
                body.error, body.message, body.request_id
            ),
            Self::Unexpected { status, request_id } => {
                write!(f, "unexpected {status} response")?;
                match request_id {
                    Some(id) => write!(f, " (request id {id})"),
                    None => Ok(()),
                }
            }
            Self::TwoFactorRequired(message) => write!(f, "two-factor code required: {message}"),
            Self::ClientCredentials(what) => write!(f, "client-credentials grant failed: {what}"),
            Self::Timeout(e) => write!(f, "timed out: {e}"),
            Self::Transport(e) => write!(f, "transport error: {e}"),
            Self::Decode(what) => write!(f, "could not decode the response: {what}"),
            Self::InvalidRequest(what) => write!(f, "invalid request: {what}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Timeout(e) | Self::Transport(e) => Some(e),
            _ => None,
        }
    }
}

impl From<crate::generated::Error<crate::generated::types::OAuthErrorBody>> for Error {
    /// The SDK error of an OAuth endpoint's failure (`oauth_token`, `oauth_revoke`): an
    /// RFC 6749 error response becomes [`Error::Api`] whose body has the OAuth `error` code
    /// as `error`, its `error_description` (else the code) as `message` and the
    /// `X-Request-Id` header as `request_id`; other failures convert as for every operation.
    fn from(error: crate::generated::Error<crate::generated::types::OAuthErrorBody>) -> Self {
        use crate::generated::Error as E;
        let error: E<ApiErrorBody> = match error {
            E::ErrorResponse(response) => {
                let status = response.status();
                let headers = response.headers().clone();
                let oauth = response.into_inner();
                let body = ApiErrorBody {
                    error: oauth.error.to_string(),
                    errors: Vec::new(),
                    message: oauth.error_description.unwrap_or_else(|| oauth.error.to_string()),
                    request_id: header(&headers, "x-request-id").unwrap_or_default(),
                    success: false,
                };
                E::ErrorResponse(crate::ResponseValue::new(body, status, headers))
            }
            E::InvalidRequest(what) => E::InvalidRequest(what),
            E::CommunicationError(e) => E::CommunicationError(e),
            E::InvalidUpgrade(e) => E::InvalidUpgrade(e),
            E::ResponseBodyError(e) => E::ResponseBodyError(e),
            E::InvalidResponsePayload(bytes, e) => E::InvalidResponsePayload(bytes, e),
            E::UnexpectedResponse(response) => E::UnexpectedResponse(response),
            E::Custom(what) => E::Custom(what),
        };
        error.into()
    }
}

fn header(headers: &reqwest::header::HeaderMap, name: &str) -> Option<String> {
    headers.get(name)?.to_str().ok().map(str::to_owned)
}

impl From<crate::generated::Error<ApiErrorBody>> for Error {
    /// The SDK error of a generated call's failure, so `?` works on [`crate::Client::api`]
    /// calls.
    fn from(error: crate::generated::Error<ApiErrorBody>) -> Self {
        use crate::generated::Error as E;
        let refused_grant = match &error {
            E::ErrorResponse(response) => header(response.headers(), crate::runtime::GRANT_REFUSED),
            E::UnexpectedResponse(response) => header(response.headers(), crate::runtime::GRANT_REFUSED),
            _ => None,
        };
        if let Some(what) = refused_grant {
            return Self::ClientCredentials(what);
        }
        match error {
            E::ErrorResponse(response) => {
                let status = response.status().as_u16();
                let retry_after = header(response.headers(), "retry-after").and_then(|v| v.trim().parse().ok());
                Self::Api {
                    status,
                    body: Box::new(response.into_inner()),
                    retry_after,
                }
            }
            E::UnexpectedResponse(response) => Self::Unexpected {
                status: response.status().as_u16(),
                request_id: header(response.headers(), "x-request-id"),
            },
            E::CommunicationError(e) | E::ResponseBodyError(e) | E::InvalidUpgrade(e) => {
                if e.is_timeout() {
                    Self::Timeout(e)
                } else {
                    Self::Transport(e)
                }
            }
            E::InvalidResponsePayload(_, e) => Self::Decode(e.to_string()),
            E::InvalidRequest(what) | E::Custom(what) => Self::InvalidRequest(what),
        }
    }
}
