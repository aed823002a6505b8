//! What the served routes accept beyond their handlers: the `Allow` header of a 405 (RFC 9110
//! §15.5.6 requires it) and the refusal of an `Idempotency-Key` that is not ASCII text.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use poem::http::{HeaderValue, StatusCode, header};
use poem::{Endpoint, IntoResponse, Request, Response};

use crate::error::{ApiError, FieldError};
use crate::http::validate::matches;

/// The order methods are listed in `Allow`.
const ORDER: [&str; 6] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];

/// `HEAD`'s place in [`ORDER`]: poem answers it wherever `GET` is served.
const HEAD: usize = 1;

/// The methods of every served path template, in [`ORDER`], `HEAD` wherever `GET` is served.
pub struct Routes {
    routes: Vec<(Vec<String>, Vec<&'static str>)>,
}

impl Routes {
    /// The routes of `served`, the `(METHOD, path template)` pairs of the served operations.
    pub fn new(served: &BTreeSet<(String, String)>) -> Self {
        let mut by_template: BTreeMap<Vec<String>, BTreeSet<usize>> = BTreeMap::new();
        for (method, path) in served {
            let Some(index) = ORDER.iter().position(|m| m.eq_ignore_ascii_case(method)) else {
                continue;
            };
            let methods = by_template
                .entry(path.split('/').map(str::to_owned).collect())
                .or_default();
            methods.insert(index);
            if ORDER[index] == "GET" {
                methods.insert(HEAD);
            }
        }
        let routes = by_template
            .into_iter()
            .map(|(template, methods)| (template, methods.into_iter().map(|i| ORDER[i]).collect()))
            .collect();
        Self { routes }
    }

    /// The `Allow` value for a concrete path: the methods of its most literal matching
    /// template (the one the router picks).
    pub fn allow(&self, path: &str) -> Option<String> {
        let segments: Vec<&str> = path.split('/').collect();
        let (_, methods) = self
            .routes
            .iter()
            .filter(|(t, _)| matches(t, &segments))
            .min_by_key(|(t, _)| t.iter().filter(|s| s.starts_with('{')).count())?;
        Some(methods.join(", "))
    }
}

/// Middleware: a 405 names the methods the path accepts in `Allow`, and a request whose
/// `Idempotency-Key` is not visible ASCII is a 400 (poem-openapi would read such a header as
/// absent and act on the request without its key).
pub async fn allow_and_readable_keys<E: Endpoint>(
    ep: Arc<E>,
    req: Request,
    routes: Arc<Routes>,
) -> poem::Result<Response> {
    if let Some(value) = req.headers().get("idempotency-key")
        && value.to_str().is_err()
    {
        return Ok(ApiError::BadRequest {
            message: "Invalid Idempotency-Key: use 1-128 characters of `[A-Za-z0-9._:-]`.".into(),
            errors: vec![FieldError::new("Idempotency-Key", "is not ASCII text")],
        }
        .into_response());
    }
    let path = req.uri().path().to_owned();
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

    fn routes() -> Routes {
        let served = [
            ("GET", "/api/trading/order/{id}"),
            ("DELETE", "/api/trading/order/{id}"),
            ("POST", "/api/trading/order"),
            ("GET", "/api/users/me"),
            ("DELETE", "/api/users/me"),
            ("GET", "/api/users/{id}"),
        ];
        Routes::new(&served.iter().map(|(m, p)| ((*m).to_owned(), (*p).to_owned())).collect())
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
}
