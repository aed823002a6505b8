//! Request bodies checked against the hand-written documents before a handler runs: the spec
//! is the validator, so every constraint it states (types, required fields, patterns,
//! ranges, `additionalProperties: false`) is enforced exactly as documented, and each
//! violation comes back in `errors[]` naming its field (`billingAddress.zipCode`, `items[2]`).

use std::collections::BTreeSet;
use std::sync::Arc;

use meridian_codegen::bundle::{METHODS, deref};
use meridian_codegen::schema::SchemaSet;
use poem::http::{Method, header};
use poem::{Endpoint, IntoResponse, Request, Response};
use serde_json::Value;

use crate::error::{ApiError, FieldError};

/// The JSON request-body schema of each served operation.
pub struct BodySchemas {
    routes: Vec<BodyRoute>,
}

/// One operation's body schema.
struct BodyRoute {
    method: Method,
    template: Vec<String>,
    validator: jsonschema::Validator,
    /// `requestBody.required`: when false, an empty body is no body (not invalid JSON).
    required: bool,
}

impl BodySchemas {
    /// The body schemas of `doc` (an OpenAPI 3.0 document) for the operations in `served`
    /// (`(METHOD, path template)` pairs).
    pub fn new(doc: &Value, served: &BTreeSet<(String, String)>) -> anyhow::Result<Self> {
        let schemas = SchemaSet::new(doc);
        let mut routes = Vec::new();
        for (path, item) in doc.get("paths").and_then(Value::as_object).into_iter().flatten() {
            for method in METHODS {
                let Some(op) = item.get(*method) else { continue };
                if !served.contains(&(method.to_uppercase(), path.clone())) {
                    continue;
                }
                let body = op.get("requestBody").map(|b| deref(doc, b));
                // `application/json`, possibly with parameters (poem-openapi adds `; charset=utf-8`).
                let json_media = body
                    .and_then(|b| b.get("content"))
                    .and_then(Value::as_object)
                    .and_then(|c| {
                        c.iter()
                            .find(|(media, _)| media.split(';').next().is_some_and(|m| m.trim() == "application/json"))
                    });
                let Some(schema) = json_media.and_then(|(_, m)| m.get("schema")) else {
                    continue;
                };
                routes.push(BodyRoute {
                    method: Method::from_bytes(method.to_uppercase().as_bytes())?,
                    template: path.split('/').map(str::to_owned).collect(),
                    validator: schemas.compile(schema)?,
                    required: body.and_then(|b| b.get("required")).and_then(Value::as_bool) == Some(true),
                });
            }
        }
        Ok(Self { routes })
    }

    /// The served operations of a poem-openapi spec (`OpenApiService::spec()`).
    pub fn served_operations(spec: &Value) -> BTreeSet<(String, String)> {
        let mut out = BTreeSet::new();
        for (path, item) in spec.get("paths").and_then(Value::as_object).into_iter().flatten() {
            for method in METHODS {
                if item.get(*method).is_some() {
                    out.insert((method.to_uppercase(), path.clone()));
                }
            }
        }
        out
    }

    /// The body route of a request, preferring literal path segments over templated ones.
    fn find(&self, method: &Method, path: &str) -> Option<&BodyRoute> {
        most_literal(self.routes.iter().filter(|r| r.method == *method), path, |r| {
            &r.template
        })
    }
}

/// Of `items`, the one whose path template (`/`-split) fits `path` most literally: fewest
/// `{…}` segments, which is how the router chooses between `/users/me` and `/users/{id}`.
pub(crate) fn most_literal<'a, T>(
    items: impl Iterator<Item = &'a T>,
    path: &str,
    template: impl Fn(&T) -> &[String],
) -> Option<&'a T> {
    let segments: Vec<&str> = path.split('/').collect();
    items
        .filter(|item| matches(template(item), &segments))
        .min_by_key(|item| template(item).iter().filter(|s| s.starts_with('{')).count())
}

/// Whether concrete path segments fit a template's.
fn matches(template: &[String], segments: &[&str]) -> bool {
    template.len() == segments.len()
        && template
            .iter()
            .zip(segments)
            .all(|(t, s)| t == s || (t.starts_with('{') && t.ends_with('}') && !s.is_empty()))
}

/// Checks one body: JSON, then the schema. Values are never echoed (they may be passwords).
pub fn check_body(validator: &jsonschema::Validator, bytes: &[u8]) -> Result<(), ApiError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| ApiError::BadRequest {
        message: format!("The request body is not valid JSON: {e}."),
        errors: vec![FieldError::new("body", format!("not valid JSON: {e}"))],
    })?;
    let errors: Vec<FieldError> = validator
        .iter_errors(&value)
        .map(|e| {
            use jsonschema::error::ValidationErrorKind as Kind;
            let at = field_path(&e.instance_path().to_string());
            let join = |name: &str| {
                if at.is_empty() {
                    name.to_owned()
                } else {
                    format!("{at}.{name}")
                }
            };
            match e.kind() {
                Kind::Required { property } => {
                    let name = property
                        .as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| property.to_string());
                    FieldError::new(join(&name), "is required")
                }
                Kind::AdditionalProperties { unexpected } => {
                    FieldError::new(join(&unexpected.join(", ")), "is not a known field")
                }
                // Trading's unknown symbol gets the spec's message, naming it (a symbol is
                // never a secret) and listing the supported ones.
                Kind::Enum { .. } if at == "symbol" => match e.instance().as_str() {
                    Some(name) if name.len() <= 20 && name.bytes().all(|b| b.is_ascii_alphanumeric()) => {
                        FieldError::new(at, crate::domain::symbols::Symbol::invalid_message(name))
                    }
                    _ => FieldError::new(at, e.masked().to_string()),
                },
                // The only `oneOf` of request bodies is `DecimalInput`: say what it accepts.
                Kind::OneOfNotValid { .. } => FieldError::new(
                    if at.is_empty() { "body".to_owned() } else { at },
                    "must be a decimal: a JSON number (10000.50) or a decimal string (\"10000.50\")",
                ),
                _ => FieldError::new(
                    if at.is_empty() { "body".to_owned() } else { at },
                    e.masked().to_string(),
                ),
            }
        })
        .collect();
    if errors.is_empty() {
        return Ok(());
    }
    let summary: Vec<String> = errors.iter().map(|e| format!("{} {}", e.field, e.message)).collect();
    let message = match errors.as_slice() {
        [only] if only.message.starts_with("Invalid symbol: ") => only.message.clone(),
        _ => format!("Validation failed: {}.", summary.join("; ")),
    };
    Err(ApiError::BadRequest { message, errors })
}

/// `/billingAddress/zipCode` → `billingAddress.zipCode`; `/items/2/qty` → `items[2].qty`.
pub fn field_path(pointer: &str) -> String {
    let mut out = String::new();
    for raw in pointer.split('/').skip(1) {
        let segment = raw.replace("~1", "/").replace("~0", "~");
        if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{segment}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&segment);
        }
    }
    out
}

/// Middleware: validates JSON bodies of served operations against their documented schema.
pub async fn validate_bodies<E: Endpoint>(
    ep: Arc<E>,
    mut req: Request,
    schemas: Arc<BodySchemas>,
) -> poem::Result<Response> {
    let is_json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/json")
        });
    // Only a request that may carry a body is looked up (not every GET).
    let headers = req.headers();
    let may_carry_body = is_json
        || headers.contains_key(header::CONTENT_TYPE)
        || headers.contains_key(header::TRANSFER_ENCODING)
        || headers.get(header::CONTENT_LENGTH).is_some_and(|n| n != "0");
    let route = if may_carry_body {
        schemas.find(req.method(), req.uri().path())
    } else {
        None
    };
    // A non-empty optional body of another media type would reach the handler as no body at
    // all (poem-openapi reads it as absent); refuse it as poem-openapi refuses a required one.
    if !is_json && route.is_some_and(|r| !r.required) {
        let bytes = req.take_body().into_bytes().await?;
        if !bytes.is_empty() {
            let message = match req.headers().get(header::CONTENT_TYPE) {
                Some(media) => format!("Unsupported content type `{}`.", media.to_str().unwrap_or("?")),
                None => "The request has a body but no Content-Type.".to_owned(),
            };
            return Ok(ApiError::UnsupportedMediaType(message).into_response());
        }
        req.set_body(bytes);
    }
    if is_json && let Some(route) = route {
        let bytes = req.take_body().into_bytes().await?;
        // An optional body may be left empty even with a JSON content type (`curl -H
        // 'Content-Type: application/json'` without `-d`): the handler sees no body.
        let absent = !route.required && bytes.iter().all(u8::is_ascii_whitespace);
        if !absent && let Err(error) = check_body(&route.validator, &bytes) {
            return Ok(error.into_response());
        }
        req.set_body(bytes);
    }
    ep.call(req).await.map(IntoResponse::into_response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bundle() -> Value {
        serde_json::from_str(crate::docs::BUNDLE_JSON).unwrap()
    }

    fn register_validator() -> BodySchemas {
        let served = BTreeSet::from([("POST".to_owned(), "/api/auth/register".to_owned())]);
        BodySchemas::new(&bundle(), &served).unwrap()
    }

    fn fields(result: Result<(), ApiError>) -> Vec<String> {
        match result {
            Err(ApiError::BadRequest { errors, .. }) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected a 400: {other:?}"),
        }
    }

    #[test]
    fn pointers_become_field_paths() {
        assert_eq!(field_path(""), "");
        assert_eq!(field_path("/email"), "email");
        assert_eq!(field_path("/billingAddress/zipCode"), "billingAddress.zipCode");
        assert_eq!(field_path("/items/2/qty"), "items[2].qty");
    }

    #[test]
    fn only_served_operations_with_json_bodies_are_checked() {
        let schemas = register_validator();
        assert!(schemas.find(&Method::POST, "/api/auth/register").is_some());
        assert!(schemas.find(&Method::POST, "/api/auth/login").is_none(), "not served");
        assert!(schemas.find(&Method::GET, "/api/auth/register").is_none());
    }

    #[test]
    fn violations_name_their_fields_without_echoing_values() {
        let schemas = register_validator();
        let v = &schemas.find(&Method::POST, "/api/auth/register").unwrap().validator;
        assert_eq!(fields(check_body(v, br#"{"password": "Secret#123"}"#)), vec!["email"]);
        let wrong_type = check_body(v, br#"{"email": 5, "password": "Secret#123"}"#);
        assert_eq!(fields(wrong_type.clone()), vec!["email"]);
        let unknown = check_body(v, br#"{"email": "a@b.co", "password": "Secret#123", "pasword": "x"}"#);
        assert_eq!(fields(unknown), vec!["pasword"]);
        assert_eq!(fields(check_body(v, b"{nope")), vec!["body"]);
        let Err(error) = check_body(v, br#"{"email": ["Hunter2-secret"], "password": "Secret#123"}"#) else {
            panic!()
        };
        assert!(
            !error.body().to_string().contains("Hunter2-secret"),
            "values are not echoed: {}",
            error.body()
        );
        assert!(
            check_body(
                v,
                json!({"email": "a@example.com", "password": "Secret#123"})
                    .to_string()
                    .as_bytes()
            )
            .is_ok()
        );
    }
}
