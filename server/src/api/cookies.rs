//! Responses that set cookies: the login and refresh tokens for browser clients (seed 000),
//! documented as `Set-Cookie` on the operation's success response.

use poem::http::{HeaderValue, header};
use poem::{IntoResponse, Response};
use poem_openapi::ApiResponse;
use poem_openapi::registry::{MetaHeader, MetaResponses, MetaSchema, MetaSchemaRef, Registry};

/// `T` plus `Set-Cookie` headers.
pub struct WithCookies<T> {
    /// The response.
    pub inner: T,
    /// Each `Set-Cookie` value.
    pub cookies: Vec<String>,
}

impl<T> WithCookies<T> {
    /// `inner` setting `cookies`.
    pub fn new(inner: T, cookies: Vec<String>) -> Self {
        Self { inner, cookies }
    }
}

/// `accessToken` (all paths, 15 minutes) and `refreshToken` (auth paths only, 7 days), httpOnly.
pub fn session_cookies(access: &str, access_ttl: i64, refresh: &str, refresh_ttl: i64) -> Vec<String> {
    vec![
        format!("accessToken={access}; Path=/; Max-Age={access_ttl}; HttpOnly; SameSite=Lax"),
        format!("refreshToken={refresh}; Path=/api/auth; Max-Age={refresh_ttl}; HttpOnly; SameSite=Strict"),
    ]
}

/// Cookies that clear both session cookies.
pub fn cleared_cookies() -> Vec<String> {
    vec![
        "accessToken=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax".into(),
        "refreshToken=; Path=/api/auth; Max-Age=0; HttpOnly; SameSite=Strict".into(),
    ]
}

impl<T: IntoResponse> IntoResponse for WithCookies<T> {
    fn into_response(self) -> Response {
        let mut response = self.inner.into_response();
        for cookie in self.cookies {
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
        }
        response
    }
}

impl<T: ApiResponse> ApiResponse for WithCookies<T> {
    fn meta() -> MetaResponses {
        let mut meta = T::meta();
        for response in &mut meta.responses {
            response.headers.push(MetaHeader {
                name: "Set-Cookie".into(),
                description: Some("The `accessToken` and `refreshToken` httpOnly cookies.".into()),
                required: false,
                deprecated: false,
                schema: MetaSchemaRef::Inline(Box::new(MetaSchema::new("string"))),
            });
        }
        meta
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}
