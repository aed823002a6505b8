//! HTTP plumbing around the API: request ids, access logs, the one error shape for every
//! failure (including poem's own), rate limits and their headers, body size and CORS.

pub mod audit;
pub mod request_id;
pub mod routes;
pub mod validate;

use std::sync::Arc;
use std::time::{Duration, Instant};

use poem::http::{HeaderValue, header};
use poem::middleware::Cors;
use poem::{Endpoint, EndpointExt, IntoResponse, Request, Response};

use crate::error::ApiError;
use crate::http::routes::Routes;
use crate::http::validate::BodySchemas;
use crate::ratelimit::{budget_for, now_secs};
use crate::state::AppState;

/// Wraps the application's routes in Meridian's middleware stack (outermost last): `Allow` on
/// 405 and unreadable idempotency keys, request validation against the spec (UTF-8 path and
/// query parameters, JSON bodies), body-size limit, rate limits, CORS, then request id +
/// error shape + access log.
pub fn middleware<E: Endpoint + 'static>(
    app: E,
    state: &AppState,
    schemas: Arc<BodySchemas>,
    routes: Arc<Routes>,
) -> impl Endpoint<Output = Response> + use<E> {
    let limiter_state = state.clone();
    let audit_state = state.clone();
    let max_body = state.config.max_body_bytes;
    let cors = cors(&state.config.cors_origins);
    app.around(move |ep, req| routes::allow_and_readable_keys(ep, req, routes.clone()))
        .around(move |ep, req| validate::validate_requests(ep, req, schemas.clone()))
        .around(move |ep, req| limit_body(ep, req, max_body))
        .around(move |ep, req| {
            let state = limiter_state.clone();
            async move { rate_limit(ep, req, state).await }
        })
        .with_if(cors.is_some(), cors.unwrap_or_default())
        .around(move |ep, req| request_context(ep, req, audit_state.clone()))
}

/// Who an authenticated request acted for, as the audit trail records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The user id.
    pub user_id: String,
    /// How they authenticated: `access_token`, `account_token`, `client_token` or `cookie`.
    pub credential: &'static str,
    /// The client key of a client token.
    pub client_key_id: Option<String>,
}

/// The authenticated user of a request, filled in by the auth extractors so the access log
/// and the audit trail can name them.
#[derive(Clone, Default)]
pub struct RequestUser(Arc<std::sync::OnceLock<Actor>>);

impl RequestUser {
    /// Records who the request acts for (first call wins).
    pub fn set(&self, actor: Actor) {
        let _ = self.0.set(actor);
    }

    /// The actor, once known.
    pub fn get(&self) -> Option<&Actor> {
        self.0.get()
    }
}

/// CORS for the configured origins, if any.
fn cors(origins: &[String]) -> Option<Cors> {
    let origins: Vec<&str> = origins.iter().map(|o| o.trim()).filter(|o| !o.is_empty()).collect();
    if origins.is_empty() {
        return None;
    }
    let mut cors = Cors::new().allow_credentials(!origins.contains(&"*")).expose_headers([
        "x-request-id",
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
        "retry-after",
    ]);
    if !origins.contains(&"*") {
        cors = cors.allow_origins(origins);
    }
    Some(cors)
}

/// Assigns the request id (in a task-local for error bodies and logs), turns every error —
/// poem's plain-text ones included — into the one JSON error body, echoes `X-Request-Id`
/// and writes one access-log line.
async fn request_context<E: Endpoint>(ep: Arc<E>, mut req: Request, state: AppState) -> poem::Result<Response> {
    let id = request_id::from_request(&req);
    let user = RequestUser::default();
    req.extensions_mut().insert(user.clone());
    let method = req.method().clone();
    let path = redact_path(req.uri().path());
    let query = req.uri().query().map(str::to_owned);
    let started = Instant::now();
    let started_at = chrono::Utc::now();
    let response = request_id::scope(id.clone(), async move {
        let response = match ep.call(req).await {
            Ok(output) => output.into_response(),
            Err(error) if error.is_from_response() => error.into_response(),
            Err(error) => ApiError::from_poem(&error).into_response(),
        };
        normalise_error_body(response)
    })
    .await;
    let response = if path.starts_with("/api/oauth/") {
        oauth_error_shape(response).await
    } else {
        response
    };
    let mut response = response;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(request_id::HEADER, value);
    }
    let status = response.status().as_u16();
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let user_id = user.get().map(|a| a.user_id.as_str()).unwrap_or("-");
    if let Some(actor) = user.get() {
        let request = audit::RequestSummary {
            method: method.as_str(),
            path: &path,
            query: query.as_deref(),
        };
        response = audit::record(&state, actor, &request, started_at, response).await;
    }
    if status >= 500 {
        tracing::error!(request_id = %id, %method, %path, status, latency_ms, user_id, "request");
    } else {
        tracing::info!(request_id = %id, %method, %path, status, latency_ms, user_id, "request");
    }
    Ok(response)
}

/// The path as logs and audit events show it: the token of Bloq's verification link
/// (`/api/users/{userId}/token/{token}`) is replaced by `[redacted]`.
pub fn redact_path(path: &str) -> String {
    let segments: Vec<&str> = path.split('/').collect();
    if segments.len() == 6 && segments[1] == "api" && segments[2] == "users" && segments[4] == "token" {
        return format!("/api/users/{}/token/[redacted]", segments[3]);
    }
    path.to_owned()
}

/// On the RFC 6749 endpoints (`/api/oauth/*`), errors raised before the handler (413, 429,
/// 503 from the middleware) are rewritten from the error body into RFC 6749 §5.2's
/// `{error, error_description}`, the one error shape those operations document.
async fn oauth_error_shape(mut response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let bytes = response.take_body().into_bytes().await.unwrap_or_default();
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        response.set_body(bytes);
        return response;
    };
    if body.get("success") != Some(&serde_json::Value::Bool(false)) {
        response.set_body(bytes);
        return response;
    }
    let code = match status.as_u16() {
        401 => "invalid_client",
        429 | 503 => "temporarily_unavailable",
        s if s >= 500 => "server_error",
        _ => "invalid_request",
    };
    let rewritten = serde_json::json!({
        "error": code,
        "error_description": body.get("message").and_then(serde_json::Value::as_str).unwrap_or(""),
    });
    response.headers_mut().remove(header::CONTENT_LENGTH);
    response.set_body(rewritten.to_string());
    response
}

/// Replaces a non-JSON error response (poem's text bodies, empty bodies) by the one error
/// body for its status, keeping its headers.
fn normalise_error_body(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    if is_json {
        return response;
    }
    let headers = response.headers().clone();
    let message = status.canonical_reason().unwrap_or("Error").to_string();
    let mut replaced = ApiError::from_poem(&poem::Error::from_string(message, status)).into_response();
    for (name, value) in &headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            replaced.headers_mut().insert(name.clone(), value.clone());
        }
    }
    replaced
}

/// Refuses bodies over `max` bytes with 413: by `Content-Length` when sent, else (chunked
/// bodies) by reading at most `max` bytes before the handler sees the body.
async fn limit_body<E: Endpoint>(ep: Arc<E>, mut req: Request, max: usize) -> poem::Result<Response> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    match declared {
        Some(length) if length > max as u64 => {
            return Err(poem::Error::from_status(poem::http::StatusCode::PAYLOAD_TOO_LARGE));
        }
        Some(_) => {}
        None => {
            let body = req.take_body().into_bytes_limit(max).await?;
            req.set_body(body);
        }
    }
    ep.call(req).await.map(IntoResponse::into_response)
}

/// Counts the request against its endpoint's budget (API paths only), refuses it with 429
/// past the budget, and adds the `X-RateLimit-*` headers to the response either way.
async fn rate_limit<E: Endpoint>(ep: Arc<E>, req: Request, state: AppState) -> poem::Result<Response> {
    let path = req.uri().path();
    let limited = state.limiter.enabled() && (path.starts_with("/api/") || path.starts_with("/.well-known/"));
    if !limited {
        return ep.call(req).await.map(IntoResponse::into_response);
    }
    let budget = budget_for(req.method(), path);
    let subject = client_subject(&req, &state);
    let Some(decision) = state.limiter.hit(&budget, &subject).await else {
        return ep.call(req).await.map(IntoResponse::into_response);
    };
    let mut response = if decision.allowed {
        match ep.call(req).await {
            Ok(output) => output.into_response(),
            Err(error) if error.is_from_response() => error.into_response(),
            Err(error) => ApiError::from_poem(&error).into_response(),
        }
    } else {
        let reusable = drain_body(req, state.config.max_body_bytes).await;
        let mut refused = ApiError::TooManyRequests {
            message: format!(
                "Too many requests: the `{}` budget allows {} per {} seconds; retry after the window resets.",
                budget.name,
                decision.limit,
                budget.window.as_secs()
            ),
            retry_after: decision.retry_after(now_secs()),
        }
        .into_response();
        if !reusable {
            refused
                .headers_mut()
                .insert(poem::http::header::CONNECTION, HeaderValue::from_static("close"));
        }
        refused
    };
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-limit", HeaderValue::from(decision.limit));
    headers.insert("x-ratelimit-remaining", HeaderValue::from(decision.remaining));
    headers.insert("x-ratelimit-reset", HeaderValue::from(decision.reset));
    Ok(response)
}

/// Reads and discards the body of a request refused before its handler ran, so the
/// keep-alive connection can carry the client's next request (hyper closes a connection
/// whose request body was left unread, without a `Connection: close` to warn the client).
/// `false` when the body is over `limit` or does not arrive within a second: the caller
/// says `Connection: close`.
async fn drain_body(req: Request, limit: usize) -> bool {
    let read = req.into_body().into_bytes_limit(limit);
    matches!(tokio::time::timeout(Duration::from_secs(1), read).await, Ok(Ok(_)))
}

/// Whom a request counts against (API-MAP): the user, when it carries a validly signed
/// token (checked here without the database: a revoked token still counts against its user,
/// and the handler refuses it), else the client's IP.
fn client_subject(req: &Request, state: &AppState) -> String {
    use crate::auth::tokens::TokenKind;
    let kinds = [TokenKind::Access, TokenKind::Account, TokenKind::Client];
    if let Some(token) = crate::auth::extract::bearer_token(req)
        && let Ok(claims) = state.keys.verify(&token, &kinds)
    {
        return format!("user:{}", claims.sub);
    }
    let ip = req.remote_addr().as_socket_addr().map(|addr| addr.ip().to_string());
    format!("ip:{}", ip.unwrap_or_else(|| "unknown".into()))
}
