//! Request bodies checked against the hand-written documents before a handler runs: the spec
//! is the validator, so every constraint it states (types, required fields, patterns,
//! ranges, `additionalProperties: false`) is enforced exactly as documented, and each
//! violation comes back in `errors[]` naming its field (`billingAddress.zipCode`, `items[2]`).
//! What a schema cannot state about a JSON number's text (no exponent, no fraction on an
//! integer, no more digits than an exact decimal holds) is checked here too, so such numbers
//! are refused naming their field rather than failing later without one. Path parameters and
//! query strings must decode to UTF-8, and poem-openapi's internal path-parameter names
//! (`param0`) are mapped back to the documented ones for error bodies.

use std::collections::BTreeSet;
use std::sync::Arc;

use meridian_codegen::bundle::{METHODS, deref};
use meridian_codegen::schema::SchemaSet;
use poem::http::{Method, header};
use poem::{Endpoint, IntoResponse, Request, Response};
use serde_json::Value;

use crate::api::types::parse_decimal;
use crate::error::{ApiError, FieldError};

/// At most this many problems are listed for one body: a small body can break a rule many
/// thousand times (30 000 equal items where 6 distinct ones are allowed), and the answer
/// must not be a thousand times larger than the question.
const MAX_ERRORS: usize = 20;

/// Longest field name (or list of unknown field names) repeated in an error, in characters.
const MAX_FIELD_CHARS: usize = 200;

/// The `$ref` of the spec's exact-decimal input (`DecimalInput`: a JSON number or a string).
const DECIMAL_INPUT: &str = "#/components/schemas/DecimalInput";

/// The JSON request-body schema of each served operation, and every served path template
/// (whose `{…}` segments name the path parameters).
pub struct BodySchemas {
    routes: Vec<BodyRoute>,
    paths: Vec<Vec<String>>,
}

/// One operation's body schema.
struct BodyRoute {
    method: Method,
    template: Vec<String>,
    validator: jsonschema::Validator,
    /// `requestBody.required`: when false, an empty body is no body (not invalid JSON).
    required: bool,
    /// The numbers of the body whose text must be checked beyond the schema.
    numbers: Vec<NumberRule>,
}

/// A place in a body where the schema expects a number whose JSON text matters.
#[derive(Debug, Clone, PartialEq, Eq)]
struct NumberRule {
    at: Vec<Step>,
    kind: NumberKind,
}

/// One step from a JSON value to a part of it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    /// The named property of an object.
    Key(String),
    /// Every item of an array.
    Item,
}

/// What a number's text must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NumberKind {
    /// `DecimalInput`: a plain decimal an exact decimal holds (see [`parse_decimal`]).
    Decimal,
    /// `type: integer`: digits only (no fraction, no exponent), within 64 bits.
    Integer,
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
                let mut numbers = Vec::new();
                number_rules(doc, schema, &mut Vec::new(), &mut numbers, 0);
                routes.push(BodyRoute {
                    method: Method::from_bytes(method.to_uppercase().as_bytes())?,
                    template: path.split('/').map(str::to_owned).collect(),
                    validator: schemas.compile(schema)?,
                    required: body.and_then(|b| b.get("required")).and_then(Value::as_bool) == Some(true),
                    numbers,
                });
            }
        }
        let paths: BTreeSet<&String> = served.iter().map(|(_, path)| path).collect();
        let paths = paths
            .into_iter()
            .map(|path| path.split('/').map(str::to_owned).collect())
            .collect();
        Ok(Self { routes, paths })
    }

    /// Checks a request body as the middleware does: `None` when `method` and `path` name no
    /// served operation with a JSON body, else the verdict on `bytes` (JSON, the schema, and
    /// the text of its numbers).
    pub fn check(&self, method: &Method, path: &str, bytes: &[u8]) -> Option<Result<(), ApiError>> {
        self.find(method, path).map(|route| check_route_body(route, bytes))
    }

    /// The served path template (`/`-split) a concrete path falls under, most literal first.
    fn template(&self, path: &str) -> Option<&[String]> {
        most_literal(self.paths.iter(), path, |p| p).map(Vec::as_slice)
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

/// Where `schema` (a request body's, in `doc`) puts numbers whose text matters: each
/// `DecimalInput` and each `type: integer`, through `$ref`, `allOf`, `properties` and `items`.
fn number_rules(doc: &Value, schema: &Value, at: &mut Vec<Step>, out: &mut Vec<NumberRule>, depth: usize) {
    if depth > 32 {
        return;
    }
    if schema.get("$ref").and_then(Value::as_str) == Some(DECIMAL_INPUT) {
        out.push(NumberRule {
            at: at.clone(),
            kind: NumberKind::Decimal,
        });
        return;
    }
    let schema = deref(doc, schema);
    for part in schema.get("allOf").and_then(Value::as_array).into_iter().flatten() {
        number_rules(doc, part, at, out, depth + 1);
    }
    if schema.get("type").and_then(Value::as_str) == Some("integer") {
        out.push(NumberRule {
            at: at.clone(),
            kind: NumberKind::Integer,
        });
    }
    for (name, property) in schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        at.push(Step::Key(name.clone()));
        number_rules(doc, property, at, out, depth + 1);
        at.pop();
    }
    if let Some(items) = schema.get("items") {
        at.push(Step::Item);
        number_rules(doc, items, at, out, depth + 1);
        at.pop();
    }
}

/// The values `steps` reach in `value`, each with its JSON pointer.
fn locate<'v>(value: &'v Value, steps: &[Step], pointer: String, out: &mut Vec<(String, &'v Value)>) {
    let Some((step, rest)) = steps.split_first() else {
        out.push((pointer, value));
        return;
    };
    match (step, value) {
        (Step::Key(name), Value::Object(map)) => {
            if let Some(inner) = map.get(name) {
                let escaped = name.replace('~', "~0").replace('/', "~1");
                locate(inner, rest, format!("{pointer}/{escaped}"), out);
            }
        }
        (Step::Item, Value::Array(items)) => {
            for (index, inner) in items.iter().enumerate() {
                locate(inner, rest, format!("{pointer}/{index}"), out);
            }
        }
        _ => {}
    }
}

/// The number-text problems of `value` under `rules`, skipping fields in `reported`.
fn number_errors(rules: &[NumberRule], value: &Value, reported: &BTreeSet<String>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for rule in rules {
        let mut found = Vec::new();
        locate(value, &rule.at, String::new(), &mut found);
        for (pointer, value) in found {
            let field = field_path(&pointer);
            let field = if field.is_empty() { "body".to_owned() } else { field };
            if reported.contains(&field) {
                continue;
            }
            let problem = match (rule.kind, value) {
                (NumberKind::Decimal, Value::Number(n)) => parse_decimal(&n.to_string()).err(),
                (NumberKind::Decimal, Value::String(s)) => parse_decimal(s).err(),
                (NumberKind::Integer, Value::Number(n)) if n.as_i64().is_none() => {
                    Some("must be a whole number of at most 19 digits, without a fraction or an exponent".to_owned())
                }
                _ => None,
            };
            if let Some(message) = problem {
                errors.push(FieldError::new(field, message));
            }
        }
    }
    errors
}

/// The JSON of a body, or the 400 for one that is not JSON.
fn parse_json(bytes: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| ApiError::BadRequest {
        message: format!("The request body is not valid JSON: {e}."),
        errors: vec![FieldError::new("body", format!("not valid JSON: {e}"))],
    })
}

/// Checks one body: JSON, then the schema. Values are never echoed (they may be passwords).
pub fn check_body(validator: &jsonschema::Validator, bytes: &[u8]) -> Result<(), ApiError> {
    let value = parse_json(bytes)?;
    refuse(schema_errors(validator, &value))
}

/// Checks one body of `route`: JSON, the schema, then the text of its numbers.
fn check_route_body(route: &BodyRoute, bytes: &[u8]) -> Result<(), ApiError> {
    let value = parse_json(bytes)?;
    let mut errors = schema_errors(&route.validator, &value);
    let reported: BTreeSet<String> = errors.iter().map(|e| e.field.clone()).collect();
    errors.extend(number_errors(&route.numbers, &value, &reported));
    refuse(errors)
}

/// The schema violations of `value`, each naming its field.
fn schema_errors(validator: &jsonschema::Validator, value: &Value) -> Vec<FieldError> {
    validator
        .iter_errors(value)
        .take(MAX_ERRORS + 1)
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
                // Found by the property tests: an unknown field named `""` was named by an
                // empty `field`; it is shown quoted.
                Kind::AdditionalProperties { unexpected } => {
                    let shown = |name: &String| {
                        if name.is_empty() {
                            "\"\"".to_owned()
                        } else {
                            name.clone()
                        }
                    };
                    let mut names = unexpected.iter().take(10).map(shown).collect::<Vec<_>>().join(", ");
                    if unexpected.len() > 10 {
                        names.push_str(&format!(" (and {} more)", unexpected.len() - 10));
                    }
                    FieldError::new(join(&names), "is not a known field")
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
        .collect()
}

/// `Ok` without errors, else the 400 listing them (at most [`MAX_ERRORS`], each field name
/// cut to [`MAX_FIELD_CHARS`]).
fn refuse(mut errors: Vec<FieldError>) -> Result<(), ApiError> {
    if errors.is_empty() {
        return Ok(());
    }
    let more = errors.len() > MAX_ERRORS;
    errors.truncate(MAX_ERRORS);
    for error in &mut errors {
        if let Some((cut, _)) = error.field.char_indices().nth(MAX_FIELD_CHARS) {
            error.field.truncate(cut);
            error.field.push('…');
        }
    }
    let summary: Vec<String> = errors.iter().map(|e| format!("{} {}", e.field, e.message)).collect();
    let message = match errors.as_slice() {
        [only] if only.message.starts_with("Invalid symbol: ") => only.message.clone(),
        _ if more => format!("Validation failed: {}; and more.", summary.join("; ")),
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

/// Middleware: path segments and query parameters must percent-decode to UTF-8, JSON bodies
/// of served operations must match their documented schema, and the handler's parse errors
/// name path parameters as documented (see [`path_param_name`]). One middleware, not two:
/// each layer deepens the application's type, which the in-process tests already strain.
pub async fn validate_requests<E: Endpoint>(
    ep: Arc<E>,
    mut req: Request,
    schemas: Arc<BodySchemas>,
) -> poem::Result<Response> {
    if let Err(error) = path_and_query(&req, &schemas) {
        return Ok(error.into_response());
    }
    if let Some(refusal) = validate_body(&mut req, &schemas).await? {
        return Ok(refusal);
    }
    // The route's parameter names are looked up only if a parse error asks for one.
    let serving = (schemas.clone(), req.uri().path().to_owned());
    SERVING
        .scope(serving, ep.call(req))
        .await
        .map(IntoResponse::into_response)
}

/// Validates the JSON body of a served operation against its documented schema: the refusal,
/// or `None` with the body put back for the handler.
async fn validate_body(req: &mut Request, schemas: &BodySchemas) -> poem::Result<Option<Response>> {
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
            return Ok(Some(ApiError::UnsupportedMediaType(message).into_response()));
        }
        req.set_body(bytes);
    }
    if is_json && let Some(route) = route {
        let bytes = req.take_body().into_bytes().await?;
        // An optional body may be left empty even with a JSON content type (`curl -H
        // 'Content-Type: application/json'` without `-d`): the handler sees no body.
        let absent = !route.required && bytes.iter().all(u8::is_ascii_whitespace);
        if !absent && let Err(error) = check_route_body(route, &bytes) {
            return Ok(Some(error.into_response()));
        }
        req.set_body(bytes);
    }
    Ok(None)
}

tokio::task_local! {
    /// The schemas and the path of the request being served.
    static SERVING: (Arc<BodySchemas>, String);
}

/// The documented name behind poem-openapi's internal path-parameter name (`param0` is the
/// first `{…}` of the operation's path, `param1` the second), while serving a request.
pub fn path_param_name(internal: &str) -> Option<String> {
    let index: usize = internal.strip_prefix("param")?.parse().ok()?;
    SERVING
        .try_with(|(schemas, path)| {
            let template = schemas.template(path)?;
            let mut names = template.iter().filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'));
            names.nth(index).map(str::to_owned)
        })
        .ok()
        .flatten()
}

/// The 400 for a path parameter or query parameter that does not decode to UTF-8 text.
fn not_utf8(field: String, place: &str) -> ApiError {
    ApiError::BadRequest {
        message: format!("Invalid {place} `{field}`: it is not UTF-8 text once percent-decoded."),
        errors: vec![FieldError::new(field, "is not UTF-8 text once percent-decoded")],
    }
}

/// Path segments and query parameters must percent-decode to UTF-8 (poem would drop such a
/// path parameter, failing without naming it, and read such a query value with replacement
/// characters): the refusal naming the parameter.
fn path_and_query(req: &Request, schemas: &BodySchemas) -> Result<(), ApiError> {
    let path = req.uri().path();
    let decode = |text| percent_encoding::percent_decode_str(text).decode_utf8();
    let undecodable = path.split('/').position(|segment| decode(segment).is_err());
    if let Some(index) = undecodable {
        return Err(match schemas.template(path) {
            Some(template) => not_utf8(template[index].trim_matches(['{', '}']).to_owned(), "path parameter"),
            None => ApiError::NotFound("No route matches this path.".into()),
        });
    }
    for pair in req.uri().query().unwrap_or_default().split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        match (decode(name), decode(value)) {
            (Ok(_), Ok(_)) => {}
            // `+` is a space in a query string (it cannot make text invalid either way).
            (Ok(name), Err(_)) => return Err(not_utf8(name.replace('+', " "), "query parameter")),
            (Err(_), _) => return Err(not_utf8("query".to_owned(), "query string")),
        }
    }
    Ok(())
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

    /// Every operation of the bundle served, as in production.
    fn all_operations() -> BodySchemas {
        let bundle = bundle();
        BodySchemas::new(&bundle, &BodySchemas::served_operations(&bundle)).unwrap()
    }

    // Found by the hostile-input suite: `1e400` as an order's `quantity` passed the schema (it
    // is a JSON number) and failed in poem-openapi, whose message names no field, so the
    // error guessed the field from backticks and named `1e+400`.
    #[test]
    fn numbers_a_decimal_cannot_hold_are_refused_naming_their_field() {
        let schemas = all_operations();
        let order = |value: &str| {
            let body = format!(
                r#"{{"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "quantity": {value}, "price": "50000"}}"#
            );
            schemas
                .check(&Method::POST, "/api/trading/order", body.as_bytes())
                .unwrap()
        };
        for bad in [
            "1e400",
            "1e-400",
            "1.5E2",
            "12345678901234567890123456789012345678",
            "0.1234567890123456789",
            "\"12345678901234567890.123456789012345678\"",
        ] {
            assert_eq!(fields(order(bad)), vec!["quantity"], "{bad}");
        }
        for good in [
            "0.001",
            "\"0.001\"",
            "-0",
            "10000000000000000000000000",
            "0.123456789012345678",
        ] {
            assert!(order(good).is_ok(), "{good}");
        }
        let Err(error) = order("1e400") else { panic!() };
        assert!(!error.to_string().contains("1e"), "the value is not echoed: {error}");
    }

    #[test]
    fn integers_with_a_fraction_or_an_exponent_are_refused_naming_their_field() {
        let schemas = all_operations();
        let calculate = |value: &str| {
            let body = format!(r#"{{"term_months": {value}}}"#);
            schemas
                .check(&Method::POST, "/api/loans/calculate", body.as_bytes())
                .unwrap()
        };
        for bad in ["36.0", "1e1", "3.6e1"] {
            assert_eq!(fields(calculate(bad)), vec!["term_months"], "{bad}");
        }
        assert!(calculate("36").is_ok());
    }

    #[test]
    fn number_rules_follow_refs_all_of_properties_and_items() {
        let schemas = all_operations();
        let route = schemas.find(&Method::POST, "/api/loans/apply").unwrap();
        let mut rules: Vec<(String, NumberKind)> = route
            .numbers
            .iter()
            .map(|r| {
                let at: Vec<String> =
                    r.at.iter()
                        .map(|s| match s {
                            Step::Key(k) => k.clone(),
                            Step::Item => "[]".into(),
                        })
                        .collect();
                (at.join("."), r.kind)
            })
            .collect();
        rules.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            rules,
            vec![
                ("requested_amount".to_owned(), NumberKind::Decimal),
                ("requested_rate".to_owned(), NumberKind::Decimal),
                ("requested_term_months".to_owned(), NumberKind::Integer),
            ]
        );
        let doc = json!({"components": {"schemas": {"DecimalInput": {}}}});
        let schema = json!({"properties": {"items": {"type": "array", "items": {"properties": {
            "qty": {"$ref": "#/components/schemas/DecimalInput"}}}}}});
        let mut out = Vec::new();
        number_rules(&doc, &schema, &mut Vec::new(), &mut out, 0);
        let value = json!({"items": [{"qty": 1}, {"qty": "1e5"}]});
        let errors = number_errors(&out, &value, &BTreeSet::new());
        assert_eq!(
            errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
            vec!["items[1].qty"]
        );
    }

    // Found by the hostile-input suite: 30 000 equal `scopes` (60 KB) came back as 30 000 field
    // errors, a response of megabytes.
    #[test]
    fn a_body_breaking_a_rule_thousands_of_times_gets_a_bounded_answer() {
        let schemas = all_operations();
        let body = format!(r#"{{"scopes": [{}]}}"#, vec!["1"; 30_000].join(","));
        let result = schemas
            .check(&Method::POST, "/api/users/me/client-keys", body.as_bytes())
            .unwrap();
        let Err(error) = result else { panic!("refused") };
        assert!(fields(Err(error.clone())).len() <= MAX_ERRORS);
        assert!(error.body().to_string().len() < 8_000, "{}", error.body());
        let unknown: Vec<String> = (0..5_000).map(|i| format!(r#""{}{i}": 1"#, "x".repeat(300))).collect();
        let body = format!("{{{}}}", unknown.join(","));
        let Some(Err(error)) = schemas.check(&Method::POST, "/api/loans/calculate", body.as_bytes()) else {
            panic!("refused")
        };
        assert!(error.body().to_string().len() < 8_000, "{}", error.body());
    }

    #[test]
    fn an_unknown_field_with_an_empty_name_is_named_quoted() {
        let result = all_operations().check(
            &Method::DELETE,
            "/api/users/me",
            br#"{"password": "Secret#123", "": null}"#,
        );
        assert_eq!(fields(result.unwrap()), vec![r#""""#]);
    }

    // Found by the hostile-input suite: poem-openapi names path parameters `param0`, … in its
    // parse errors (`GET /api/trading/order/1e3` named no field).
    #[tokio::test]
    async fn internal_path_parameter_names_map_to_the_documented_ones_while_serving() {
        assert_eq!(path_param_name("param0"), None, "outside a request");
        let serving = (Arc::new(all_operations()), "/api/users/user-1/token/abc".to_owned());
        SERVING
            .scope(serving, async {
                assert_eq!(path_param_name("param0").as_deref(), Some("userId"));
                assert_eq!(path_param_name("param1").as_deref(), Some("token"));
                assert_eq!(path_param_name("param2"), None);
                assert_eq!(path_param_name("id"), None);
            })
            .await;
        let schemas = all_operations();
        assert_eq!(
            schemas.template("/api/users/me/client-keys/k-1").map(|t| t.join("/")),
            Some("/api/users/me/client-keys/{id}".to_owned())
        );
        assert_eq!(
            schemas.template("/api/users/me").map(|t| t.join("/")),
            Some("/api/users/me".to_owned())
        );
        assert_eq!(schemas.template("/api/nothing"), None);
    }
}
