//! [`Response`]: what a resource method (`client.trading().get_order(…)`) answers with —
//! the decoded value, and the status, headers and request id of the HTTP response.

use std::ops::Deref;

use reqwest::header::HeaderMap;

/// A successful response: the decoded value (reach it through `Deref`, or take it with
/// [`Response::into_inner`]), the HTTP status, the headers and the request id.
///
/// ```
/// let mut headers = reqwest::header::HeaderMap::new();
/// headers.insert("x-request-id", "req-42".parse().unwrap());
/// let response: meridian::Response<Vec<u32>> =
///     meridian::ResponseValue::new(vec![1, 2], reqwest::StatusCode::OK, headers).into();
/// assert_eq!(response.len(), 2); // through Deref
/// assert_eq!(response.status(), 200);
/// assert_eq!(response.request_id(), Some("req-42"));
/// assert_eq!(response.into_inner(), vec![1, 2]);
/// ```
#[derive(Debug, Clone)]
pub struct Response<T> {
    value: T,
    status: u16,
    headers: HeaderMap,
}

impl<T> Response<T> {
    /// The HTTP status (200, 201, 204, …).
    ///
    /// ```
    /// let response: meridian::Response<()> =
    ///     meridian::ResponseValue::new((), reqwest::StatusCode::CREATED, Default::default()).into();
    /// assert_eq!(response.status(), 201);
    /// ```
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The response headers (`X-Request-Id`, the `X-RateLimit-*` budget, …).
    ///
    /// ```
    /// let mut headers = reqwest::header::HeaderMap::new();
    /// headers.insert("x-ratelimit-remaining", "99".parse().unwrap());
    /// let response: meridian::Response<()> =
    ///     meridian::ResponseValue::new((), reqwest::StatusCode::OK, headers).into();
    /// assert_eq!(response.headers()["x-ratelimit-remaining"], "99");
    /// ```
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The request id the server gave the request (the `X-Request-Id` header), to quote
    /// when asking about it.
    ///
    /// ```
    /// let mut headers = reqwest::header::HeaderMap::new();
    /// headers.insert("X-Request-Id", "req-7f3a".parse().unwrap());
    /// let response: meridian::Response<()> =
    ///     meridian::ResponseValue::new((), reqwest::StatusCode::OK, headers).into();
    /// assert_eq!(response.request_id(), Some("req-7f3a"));
    /// let anonymous: meridian::Response<()> =
    ///     meridian::ResponseValue::new((), reqwest::StatusCode::OK, Default::default()).into();
    /// assert_eq!(anonymous.request_id(), None);
    /// ```
    pub fn request_id(&self) -> Option<&str> {
        self.headers.get("x-request-id")?.to_str().ok()
    }

    /// The decoded value.
    ///
    /// ```
    /// let response: meridian::Response<String> =
    ///     meridian::ResponseValue::new("ok".to_owned(), reqwest::StatusCode::OK, Default::default()).into();
    /// let value: String = response.into_inner();
    /// assert_eq!(value, "ok");
    /// ```
    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<T> Deref for Response<T> {
    type Target = T;

    /// The decoded value, so that `response.field` reads it.
    ///
    /// ```
    /// let response: meridian::Response<String> =
    ///     meridian::ResponseValue::new("ok".to_owned(), reqwest::StatusCode::OK, Default::default()).into();
    /// assert_eq!(response.as_str(), "ok");
    /// ```
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> From<progenitor_client::ResponseValue<T>> for Response<T> {
    /// The response of a generated call ([`crate::Client::api`]).
    ///
    /// ```
    /// let value = meridian::ResponseValue::new(5_u8, reqwest::StatusCode::OK, Default::default());
    /// let response = meridian::Response::from(value);
    /// assert_eq!(*response, 5);
    /// ```
    fn from(response: progenitor_client::ResponseValue<T>) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        Self {
            value: response.into_inner(),
            status,
            headers,
        }
    }
}
