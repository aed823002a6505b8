//! The bundled spec as the contract tests see it: its operations (method, path template,
//! operationId, documented statuses), matching of concrete requests to operations, and the
//! normalised form in which the server's generated spec is compared with the bundle.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde_json::{Map, Value, json};

/// The committed bundle (`openapi/bundled/meridian.json`).
pub const BUNDLE_JSON: &str = include_str!("../../openapi/bundled/meridian.json");

pub use meridian_codegen::bundle::{METHODS, deref};

/// The bundle, parsed once.
pub fn bundle() -> &'static Value {
    static BUNDLE: OnceLock<Value> = OnceLock::new();
    BUNDLE.get_or_init(|| serde_json::from_str(BUNDLE_JSON).expect("the committed bundle is JSON"))
}

/// One operation of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// Lower-case HTTP method.
    pub method: String,
    /// Path template, e.g. `/api/trading/order/{id}`.
    pub path: String,
    /// The operationId.
    pub operation_id: String,
    /// Documented response statuses, ascending.
    pub statuses: Vec<u16>,
}

/// Every operation of `doc`, in path order.
pub fn operations(doc: &Value) -> Vec<Operation> {
    let mut out = Vec::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return out;
    };
    for (path, item) in paths {
        for method in METHODS {
            let Some(op) = item.get(*method) else { continue };
            let mut statuses: Vec<u16> = op
                .get("responses")
                .and_then(Value::as_object)
                .map(|r| r.keys().filter_map(|k| k.parse().ok()).collect())
                .unwrap_or_default();
            statuses.sort_unstable();
            out.push(Operation {
                method: (*method).to_owned(),
                path: path.clone(),
                operation_id: op
                    .get("operationId")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                statuses,
            });
        }
    }
    out
}

/// Whether the concrete `path` matches the template (`{name}` matches one non-empty segment).
pub fn path_matches(template: &str, path: &str) -> bool {
    let (mut t, mut p) = (template.split('/'), path.split('/'));
    loop {
        match (t.next(), p.next()) {
            (None, None) => return true,
            (Some(ts), Some(ps)) => {
                let is_param = ts.starts_with('{') && ts.ends_with('}');
                if !(is_param && !ps.is_empty() || ts == ps) {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// The bundle operation a request goes to: literal segments win over templated ones
/// (`/api/market/prices` before `/api/market/price/{symbol}`).
pub fn match_operation<'a>(ops: &'a [Operation], method: &str, path: &str) -> Option<&'a Operation> {
    let method = method.to_ascii_lowercase();
    ops.iter()
        .filter(|op| op.method == method && path_matches(&op.path, path))
        .min_by_key(|op| op.path.matches('{').count())
}

/// The response object of `operation` for `status` in `doc`, `$ref`s resolved.
pub fn response<'a>(doc: &'a Value, op: &Operation, status: u16) -> Option<&'a Value> {
    let raw = doc.pointer(&format!(
        "/paths/{}/{}/responses/{}",
        escape_pointer(&op.path),
        op.method,
        status
    ))?;
    Some(deref(doc, raw))
}

/// Escapes one JSON-pointer segment.
pub fn escape_pointer(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// One operation in comparable form.
pub type Normalised = BTreeMap<String, Value>;

/// Every operation of `doc` keyed `"METHOD path"`, normalised for comparison: `$ref`s
/// resolved, single-element `allOf` merged, annotations (descriptions, examples, titles,
/// defaults) dropped, `required`/`enum` sorted, `;charset` stripped from media types,
/// response headers reduced to their names.
pub fn normalise(doc: &Value) -> Normalised {
    let mut out = BTreeMap::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return out;
    };
    for (path, item) in paths {
        for method in METHODS {
            let Some(op) = item.get(*method) else { continue };
            out.insert(
                format!("{} {}", method.to_uppercase(), path),
                normalise_operation(doc, op),
            );
        }
    }
    out
}

fn normalise_operation(doc: &Value, op: &Value) -> Value {
    let mut params: Vec<Value> = op
        .get("parameters")
        .and_then(Value::as_array)
        .map(|ps| {
            ps.iter()
                .map(|p| {
                    let p = deref(doc, p);
                    json!({
                        "name": p.get("name"),
                        "in": p.get("in"),
                        "required": p.get("required").and_then(Value::as_bool).unwrap_or(false),
                        "schema": p.get("schema").map(|s| normalise_schema(doc, s, 0, Mode::Parameter)),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    params.sort_by_key(|p| format!("{}:{}", p["in"], p["name"]));
    let body = op.get("requestBody").map(|b| {
        let b = deref(doc, b);
        json!({
            "required": b.get("required").and_then(Value::as_bool).unwrap_or(false),
            "content": normalise_content(doc, b.get("content")),
        })
    });
    let responses: Map<String, Value> = op
        .get("responses")
        .and_then(Value::as_object)
        .map(|rs| {
            rs.iter()
                .map(|(status, r)| {
                    let r = deref(doc, r);
                    let mut headers: Vec<String> = r
                        .get("headers")
                        .and_then(Value::as_object)
                        .map(|h| h.keys().map(|k| k.to_ascii_lowercase()).collect())
                        .unwrap_or_default();
                    headers.sort();
                    (
                        status.clone(),
                        json!({ "content": normalise_content(doc, r.get("content")), "headers": headers }),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let mut security: Vec<Value> = op
        .get("security")
        .and_then(Value::as_array)
        .map(|reqs| {
            reqs.iter()
                .map(|req| {
                    let mut entries: Vec<(String, Vec<String>)> = req
                        .as_object()
                        .map(|m| {
                            m.iter()
                                .map(|(name, scopes)| {
                                    let mut s: Vec<String> = scopes
                                        .as_array()
                                        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
                                        .unwrap_or_default();
                                    s.sort();
                                    (name.clone(), s)
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    entries.sort();
                    json!(entries)
                })
                .collect()
        })
        .unwrap_or_default();
    security.sort_by_key(Value::to_string);
    let mut tags: Vec<String> = op
        .get("tags")
        .and_then(Value::as_array)
        .map(|t| t.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    tags.sort();
    json!({
        "operationId": op.get("operationId"),
        "tags": tags,
        "parameters": params,
        "requestBody": body,
        "responses": responses,
        "security": security,
    })
}

fn normalise_content(doc: &Value, content: Option<&Value>) -> Value {
    let Some(content) = content.and_then(Value::as_object) else {
        return json!({});
    };
    Value::Object(
        content
            .iter()
            .map(|(media, m)| {
                let media = media.split(';').next().unwrap_or(media).trim().to_owned();
                (
                    media,
                    m.get("schema")
                        .map(|s| normalise_schema(doc, s, 0, Mode::Body))
                        .unwrap_or(Value::Null),
                )
            })
            .collect(),
    )
}

/// Keywords kept when comparing schemas; everything else is annotation.
const KEPT: &[&str] = &[
    "type",
    "format",
    "enum",
    "required",
    "properties",
    "items",
    "additionalProperties",
    "nullable",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "oneOf",
    "anyOf",
];

/// How much of a schema the conformance check compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Parameters: everything in [`KEPT`], constraints included — the server enforces them
    /// with its own parameter parsing.
    Parameter,
    /// Request and response bodies: the structure (types, wire formats, properties,
    /// `required`, `enum`, `nullable`, items, `oneOf`/`anyOf`). Value constraints
    /// (lengths, patterns, ranges, `additionalProperties: false`, string formats such as
    /// `email`) have one copy only, the bundle's: the server validates request bodies against
    /// the bundle itself and the contract proxy checks every response against it, so a second
    /// copy in Rust attributes could only drift.
    Body,
}

/// Keywords dropped from bodies in [`Mode::Body`].
const CONSTRAINTS: &[&str] = &[
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "additionalProperties",
];

/// Formats that change the wire representation (kept in every mode); others (`email`,
/// `uri`, …) are value constraints.
const WIRE_FORMATS: &[&str] = &[
    "date-time",
    "date",
    "int32",
    "int64",
    "float",
    "double",
    "binary",
    "byte",
];

/// A schema in comparable form (see [`normalise`]).
pub fn normalise_schema(doc: &Value, schema: &Value, depth: usize, mode: Mode) -> Value {
    if depth > 24 {
        return json!("<recursion>");
    }
    let schema = deref(doc, schema);
    let Some(map) = schema.as_object() else {
        return schema.clone();
    };
    // `allOf: [one]` (how the hand-written specs describe a `$ref` with siblings) is that one.
    let mut merged: Map<String, Value> = Map::new();
    if let Some(all) = map.get("allOf").and_then(Value::as_array) {
        for part in all {
            if let Value::Object(inner) = normalise_schema(doc, part, depth + 1, mode) {
                merged.extend(inner);
            }
        }
    }
    for (key, value) in map {
        if !KEPT.contains(&key.as_str()) || (mode == Mode::Body && CONSTRAINTS.contains(&key.as_str())) {
            continue;
        }
        if key == "format" && mode == Mode::Body && !value.as_str().is_some_and(|f| WIRE_FORMATS.contains(&f)) {
            continue;
        }
        let value = match key.as_str() {
            "properties" => Value::Object(
                value
                    .as_object()
                    .map(|props| {
                        props
                            .iter()
                            .map(|(k, v)| (k.clone(), normalise_schema(doc, v, depth + 1, mode)))
                            .collect()
                    })
                    .unwrap_or_default(),
            ),
            "items" => normalise_schema(doc, value, depth + 1, mode),
            "additionalProperties" => match value {
                Value::Bool(true) => continue,
                Value::Object(o) if o.is_empty() => continue,
                other => normalise_schema(doc, other, depth + 1, mode),
            },
            "oneOf" | "anyOf" => Value::Array(
                value
                    .as_array()
                    .map(|a| a.iter().map(|v| normalise_schema(doc, v, depth + 1, mode)).collect())
                    .unwrap_or_default(),
            ),
            "required" | "enum" => {
                let mut items: Vec<Value> = value.as_array().cloned().unwrap_or_default();
                items.sort_by_key(Value::to_string);
                if items.is_empty() {
                    continue;
                }
                Value::Array(items)
            }
            "nullable" if value == &Value::Bool(false) => continue,
            "minimum" | "maximum" => value.as_f64().map(|f| json!(f)).unwrap_or_else(|| value.clone()),
            _ => value.clone(),
        };
        merged.insert(key.clone(), value);
    }
    // A `oneOf`/`anyOf` of objects says nothing more with a sibling `type: object`.
    if merged.contains_key("oneOf") || merged.contains_key("anyOf") {
        merged.remove("type");
    }
    Value::Object(merged)
}

/// The differences between the server's spec and the bundle, one line each: operations
/// only in one of them (bundle-only ones listed in `unimplemented` are expected) and, for
/// operations in both, each differing part with both versions.
pub fn compare(bundle: &Value, server: &Value, unimplemented: &BTreeSet<String>) -> Vec<String> {
    let (want, have) = (normalise(bundle), normalise(server));
    let ids: BTreeMap<&String, String> = want
        .iter()
        .map(|(k, v)| (k, v["operationId"].as_str().unwrap_or_default().to_owned()))
        .collect();
    let mut problems = Vec::new();
    for (key, expected) in &want {
        let id = &ids[key];
        match have.get(key) {
            None if unimplemented.contains(id) => {}
            None => problems.push(format!(
                "{key} ({id}): in the bundle but not served (implement it or list it in tests/unimplemented.txt)"
            )),
            Some(_) if unimplemented.contains(id) => problems.push(format!(
                "{key} ({id}): served, so remove it from tests/unimplemented.txt"
            )),
            Some(actual) => {
                for part in [
                    "operationId",
                    "tags",
                    "parameters",
                    "requestBody",
                    "responses",
                    "security",
                ] {
                    diff_value(
                        &format!("{key} ({id}) {part}"),
                        &expected[part],
                        &actual[part],
                        &mut problems,
                    );
                }
            }
        }
    }
    for key in have.keys() {
        if !want.contains_key(key) {
            problems.push(format!("{key}: served but not in the bundle"));
        }
    }
    problems
}

/// Records where `expected` and `actual` differ, descending into objects to name the place.
fn diff_value(at: &str, expected: &Value, actual: &Value, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            let keys: BTreeSet<&String> = e.keys().chain(a.keys()).collect();
            for k in keys {
                match (e.get(k), a.get(k)) {
                    (Some(ev), Some(av)) => diff_value(&format!("{at}.{k}"), ev, av, out),
                    (Some(ev), None) => out.push(format!("{at}.{k}: bundle has {ev}, server has nothing")),
                    (None, Some(av)) => out.push(format!("{at}.{k}: server has {av}, bundle has nothing")),
                    (None, None) => {}
                }
            }
        }
        _ if expected != actual => out.push(format!("{at}: bundle has {expected}, server has {actual}")),
        _ => {}
    }
}

/// The operationIds listed in an `unimplemented.txt` text (one per line, `#` comments).
pub fn parse_id_list(text: &str) -> BTreeSet<String> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The operations the server does not implement yet (`tests/unimplemented.txt`).
pub fn unimplemented() -> BTreeSet<String> {
    parse_id_list(include_str!("../unimplemented.txt"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_paths_preferring_literals() {
        let ops = operations(bundle());
        let op = |m, p| match_operation(&ops, m, p).map(|o| o.operation_id.as_str());
        assert_eq!(op("GET", "/api/health"), Some("get_health"));
        assert_eq!(op("GET", "/api/market/prices"), Some("list_prices"));
        assert_eq!(op("GET", "/api/market/price/BTCUSDT"), Some("get_symbol_price"));
        assert_eq!(op("DELETE", "/api/trading/order/42"), Some("cancel_order"));
        assert_eq!(op("GET", "/api/trading/order/"), None);
        assert_eq!(op("PUT", "/api/health"), None);
    }

    #[test]
    fn the_unimplemented_list_names_real_operations() {
        let ids: BTreeSet<String> = operations(bundle()).into_iter().map(|o| o.operation_id).collect();
        for id in unimplemented() {
            assert!(
                ids.contains(&id),
                "tests/unimplemented.txt names `{id}`, which the bundle lacks"
            );
        }
    }

    #[test]
    fn normalising_ignores_annotations_but_not_types() {
        let doc = json!({"components": {"schemas": {"A": {"type": "object", "description": "x",
            "required": ["b", "a"], "properties": {"a": {"type": "string", "example": "e"}}}}}});
        let by_ref = normalise_schema(&doc, &json!({"$ref": "#/components/schemas/A"}), 0, Mode::Body);
        let inline = normalise_schema(
            &doc,
            &json!({"allOf": [{"type": "object", "required": ["a", "b"], "properties": {"a": {"type": "string"}}}], "description": "y"}),
            0,
            Mode::Body,
        );
        assert_eq!(by_ref, inline);
        let other = normalise_schema(
            &doc,
            &json!({"type": "object", "required": ["a", "b"], "properties": {"a": {"type": "integer"}}}),
            0,
            Mode::Body,
        );
        assert_ne!(by_ref, other);
    }
}
