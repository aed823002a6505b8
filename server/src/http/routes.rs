//! What the served routes accept beyond their handlers: the `Allow` header of a 405 (RFC 9110
//! §15.5.6 requires it) and the refusal of an `Idempotency-Key` that is not ASCII text.

use std::sync::Arc;

use poem::http::{HeaderValue, StatusCode, header};
use poem::{Endpoint, IntoResponse, Request, Response};
use serde_json::Value;

use crate::error::{ApiError, FieldError};
use crate::http::validate::most_literal;

/// The order methods are listed in `Allow`.
const ORDER: [&str; 6] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];

/// One served path template: its methods (in [`ORDER`], `HEAD` wherever `GET` is served, as
/// poem answers it) and those of its operations that take an `Idempotency-Key`.
struct Route {
    template: Vec<String>,
    methods: Vec<&'static str>,
    keyed: Vec<&'static str>,
}

/// The served routes, from the server's own OpenAPI document.
pub struct Routes {
    routes: Vec<Route>,
}

/// Whether operation `op` declares the `Idempotency-Key` header.
fn takes_key(op: &Value) -> bool {
    op.get("parameters").and_then(Value::as_array).is_some_and(|params| {
        params.iter().any(|p| {
            p.get("in").and_then(Value::as_str) == Some("header")
                && p.get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| n.eq_ignore_ascii_case("idempotency-key"))
        })
    })
}

impl Routes {
    /// The routes of `spec`, the server's OpenAPI document (`OpenApiService::spec()`).
    pub fn new(spec: &Value) -> Self {
        let mut routes = Vec::new();
        for (path, item) in spec.get("paths").and_then(Value::as_object).into_iter().flatten() {
            let op = |method: &str| item.get(method.to_ascii_lowercase());
            let served = |method: &str| op(method).is_some() || (method == "HEAD" && op("GET").is_some());
            routes.push(Route {
                template: path.split('/').map(str::to_owned).collect(),
                methods: ORDER.into_iter().filter(|m| served(m)).collect(),
                keyed: ORDER.into_iter().filter(|m| op(m).is_some_and(takes_key)).collect(),
            });
        }
        Self { routes }
    }

    /// The route of a concrete path (its most literal matching template).
    fn route(&self, path: &str) -> Option<&Route> {
        most_literal(self.routes.iter(), path, |r| &r.template)
    }

    /// The `Allow` value for a concrete path.
    pub fn allow(&self, path: &str) -> Option<String> {
        self.route(path).map(|r| r.methods.join(", "))
    }

    /// Whether the operation of `method` on `path` takes an `Idempotency-Key`.
    pub fn takes_idempotency_key(&self, method: &str, path: &str) -> bool {
        self.route(path).is_some_and(|r| r.keyed.contains(&method))
    }
}

/// Middleware: a 405 names the methods the path accepts in `Allow`, and on the operations
/// that take an `Idempotency-Key`, a key that is not visible ASCII is a 400 (poem-openapi would
/// read such a header as absent and act on the request without its key; its own validator
/// checks every readable key against the documented pattern).
pub async fn allow_and_readable_keys<E: Endpoint>(
    ep: Arc<E>,
    req: Request,
    routes: Arc<Routes>,
) -> poem::Result<Response> {
    let path = req.uri().path().to_owned();
    if let Some(value) = req.headers().get("idempotency-key")
        && value.to_str().is_err()
        && routes.takes_idempotency_key(req.method().as_str(), &path)
    {
        return Ok(ApiError::BadRequest {
            message: "Invalid parameter `Idempotency-Key`: use 1-128 characters of `[A-Za-z0-9._:-]`.".into(),
            errors: vec![FieldError::new(
                "Idempotency-Key",
                "contains characters outside `[A-Za-z0-9._:-]`",
            )],
        }
        .into_response());
    }
    let mut response = match ep.call(req).await {
        Ok(output) => output.into_response(),
        Err(error) if error.status() == StatusCode::METHOD_NOT_ALLOWED => ApiError::from_poem(&error).into_response(),
        Err(error) => return Err(error),
    };
    if response.status() == StatusCode::METHOD_NOT_ALLOWED
        && let Some(allow) = routes.allow(&path)
        && let Ok(value) = HeaderValue::from_str(&allow)
    {
        response.headers_mut().insert(header::ALLOW, value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn routes() -> Routes {
        let key = json!([{"name": "Idempotency-Key", "in": "header"}]);
        Routes::new(&json!({"paths": {
            "/api/trading/order/{id}": {"get": {}, "delete": {}},
            "/api/trading/order": {"post": {"parameters": key}},
            "/api/users/me": {"get": {}, "delete": {}},
            "/api/users/{id}": {"get": {}},
        }}))
    }

    #[test]
    fn allow_lists_the_methods_of_the_matching_template_with_head_beside_get() {
        let routes = routes();
        assert_eq!(
            routes.allow("/api/trading/order/42").as_deref(),
            Some("GET, HEAD, DELETE")
        );
        assert_eq!(routes.allow("/api/trading/order").as_deref(), Some("POST"));
        assert_eq!(routes.allow("/api/nothing"), None);
    }

    #[test]
    fn a_literal_segment_wins_over_a_template() {
        assert_eq!(routes().allow("/api/users/me").as_deref(), Some("GET, HEAD, DELETE"));
        assert_eq!(routes().allow("/api/users/user-1").as_deref(), Some("GET, HEAD"));
    }

    #[test]
    fn only_operations_declaring_the_header_take_an_idempotency_key() {
        let routes = routes();
        assert!(routes.takes_idempotency_key("POST", "/api/trading/order"));
        assert!(!routes.takes_idempotency_key("GET", "/api/trading/order/42"));
        assert!(!routes.takes_idempotency_key("POST", "/api/nothing"));
    }
}
