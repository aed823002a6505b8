//! The audit trail: one event per authenticated API request (Bloq's events), with the
//! operation, a request summary without secrets, status, timings and bytes out.

use chrono::{DateTime, Utc};
use poem::Response;
use serde_json::{Map, Value, json};

use super::Actor;
use crate::api::types::Timestamp;
use crate::db::events::{self, EventRow};
use crate::state::AppState;

/// What the event records of the request.
pub struct RequestSummary<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Path.
    pub path: &'a str,
    /// Raw query string.
    pub query: Option<&'a str>,
}

/// Query parameters whose values are never recorded.
const SECRET_WORDS: &[&str] = &["token", "secret", "password", "code", "key"];

/// The query as a map, secrets replaced by `[redacted]`.
pub fn redacted_query(query: Option<&str>) -> Map<String, Value> {
    let mut out = Map::new();
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let lower = name.to_ascii_lowercase();
        let value = if SECRET_WORDS.iter().any(|w| lower.contains(w)) {
            "[redacted]"
        } else {
            value
        };
        out.insert(name.to_owned(), Value::String(value.to_owned()));
    }
    out
}

/// Stores the event of `response` for `actor` and hands the response back. Failures to
/// store are logged; they never fail the request.
pub async fn record(
    state: &AppState,
    actor: &Actor,
    request: &RequestSummary<'_>,
    started_at: DateTime<Utc>,
    mut response: Response,
) -> Response {
    let operation = response
        .extensions()
        .get::<poem_openapi::OperationId>()
        .map(|id| id.0.to_owned())
        .or_else(|| operation_of(request.method, request.path));
    let Some(operation) = operation else { return response };
    let body = response.take_body().into_bytes().await.unwrap_or_default();
    let ended_at = Utc::now();
    let input = json!({
        "method": request.method,
        "path": request.path,
        "query": redacted_query(request.query),
    });
    let output = json!({
        "startTime": Timestamp(started_at).to_rfc3339(),
        "endTime": Timestamp(ended_at).to_rfc3339(),
        "httpStatusCode": response.status().as_u16(),
        "bytesOut": body.len(),
    });
    let mut service_data = json!({ "operationId": operation, "credential": actor.credential });
    if let Some(key) = &actor.client_key_id {
        service_data["clientKeyId"] = Value::String(key.clone());
    }
    let event = EventRow {
        id: crate::auth::secret::id("event"),
        user_id: actor.user_id.clone(),
        service: operation,
        input: input.to_string(),
        output: output.to_string(),
        service_data: Some(service_data.to_string()),
        created_at: ended_at.naive_utc(),
    };
    let stored = match state.db.conn().await {
        Ok(mut conn) => events::insert(&mut conn, &event).await,
        Err(error) => Err(error),
    };
    if let Err(error) = stored {
        // A deleted account (DELETE /api/users/me) has no events to keep.
        tracing::debug!(%error, user = %actor.user_id, "audit event not stored");
    }
    response.set_body(body);
    response
}

/// The operationId of `method path` in the bundle (literal segments before templated ones),
/// for responses that carry none (errors raised inside an operation).
pub fn operation_of(method: &str, path: &str) -> Option<String> {
    static INDEX: std::sync::OnceLock<Vec<(String, Vec<String>, String)>> = std::sync::OnceLock::new();
    let index = INDEX.get_or_init(|| {
        let doc: Value = serde_json::from_str(crate::docs::BUNDLE_JSON).unwrap_or_default();
        let mut out = Vec::new();
        for (template, item) in doc.get("paths").and_then(Value::as_object).into_iter().flatten() {
            for (verb, op) in item.as_object().into_iter().flatten() {
                if let Some(id) = op.get("operationId").and_then(Value::as_str) {
                    let segments = template.split('/').map(str::to_owned).collect();
                    out.push((verb.to_uppercase(), segments, id.to_owned()));
                }
            }
        }
        out
    });
    let segments: Vec<&str> = path.split('/').collect();
    index
        .iter()
        .filter(|(verb, template, _)| {
            verb == method
                && template.len() == segments.len()
                && template
                    .iter()
                    .zip(&segments)
                    .all(|(t, s)| t == s || (t.starts_with('{') && !s.is_empty()))
        })
        .min_by_key(|(_, template, _)| template.iter().filter(|t| t.starts_with('{')).count())
        .map(|(_, _, id)| id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_found_by_path() {
        assert_eq!(
            operation_of("GET", "/api/users/me").as_deref(),
            Some("get_current_user")
        );
        assert_eq!(
            operation_of("DELETE", "/api/users/me/sessions/abc").as_deref(),
            Some("revoke_session")
        );
        assert_eq!(
            operation_of("GET", "/api/market/prices").as_deref(),
            Some("list_prices")
        );
        assert_eq!(operation_of("GET", "/nope"), None);
    }

    #[test]
    fn secrets_in_queries_are_redacted() {
        let q = redacted_query(Some("email=a%40b.co&token=abc&clientSecret=s&limit=5"));
        assert_eq!(q["email"], "a%40b.co");
        assert_eq!(q["token"], "[redacted]");
        assert_eq!(q["clientSecret"], "[redacted]");
        assert_eq!(q["limit"], "5");
    }
}
