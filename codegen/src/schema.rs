//! OpenAPI 3.0 schema objects as JSON Schema (2020-12), and validation of instances against them.
//!
//! OpenAPI 3.0 schemas are a dialect: `nullable`, boolean `exclusiveMinimum`, and
//! annotation keywords JSON Schema does not know. [`to_json_schema`] rewrites one into
//! standard JSON Schema; [`SchemaSet`] validates values against any schema of a bundle,
//! with `$ref`s into its `components.schemas` and format checks on.

use anyhow::{Result, anyhow};
use serde_json::{Map, Value, json};

/// Keywords of OpenAPI 3.0 schema objects that JSON Schema has no use for.
const DROPPED: &[&str] = &[
    "nullable",
    "example",
    "discriminator",
    "xml",
    "externalDocs",
    "deprecated",
];

/// Rewrites an OpenAPI 3.0 schema object (and its subschemas) into JSON Schema 2020-12.
pub fn to_json_schema(schema: &Value) -> Value {
    let Value::Object(map) = schema else {
        return schema.clone();
    };
    let mut out = Map::new();
    for (key, value) in map {
        if DROPPED.contains(&key.as_str()) || key.starts_with("x-") {
            continue;
        }
        let converted = match key.as_str() {
            "properties" | "patternProperties" => match value {
                Value::Object(props) => {
                    Value::Object(props.iter().map(|(k, v)| (k.clone(), to_json_schema(v))).collect())
                }
                other => other.clone(),
            },
            "items" | "additionalProperties" | "not" => to_json_schema(value),
            "allOf" | "anyOf" | "oneOf" => match value {
                Value::Array(items) => Value::Array(items.iter().map(to_json_schema).collect()),
                other => other.clone(),
            },
            _ => value.clone(),
        };
        out.insert(key.clone(), converted);
    }
    // Draft-4 style boolean exclusive bounds become numeric ones.
    for (flag, bound) in [("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")] {
        if let Some(Value::Bool(exclusive)) = out.get(flag).cloned() {
            out.remove(flag);
            if exclusive && let Some(limit) = out.remove(bound) {
                out.insert(flag.to_owned(), limit);
            }
        }
    }
    let converted = Value::Object(out);
    if map.get("nullable").and_then(Value::as_bool) == Some(true) {
        json!({ "anyOf": [{ "type": "null" }, converted] })
    } else {
        converted
    }
}

/// Validates JSON values against the schemas of one bundled document.
#[derive(Debug, Clone)]
pub struct SchemaSet {
    /// `components.schemas` of the bundle, converted to JSON Schema.
    components: Value,
}

impl SchemaSet {
    /// Prepares the bundle's component schemas for validation.
    pub fn new(bundle: &Value) -> Self {
        let schemas = bundle
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), to_json_schema(v)))
                    .collect::<Map<_, _>>()
            })
            .unwrap_or_default();
        Self {
            components: json!({ "schemas": schemas }),
        }
    }

    /// Validates `instance` against the OpenAPI schema object `schema` (which may
    /// reference `#/components/schemas/...`). Returns one message per violation.
    pub fn validate(&self, schema: &Value, instance: &Value) -> Result<(), Vec<String>> {
        let validator = self.compile(schema).map_err(|e| vec![e.to_string()])?;
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|e| {
                let at = e.instance_path().to_string();
                let at = if at.is_empty() { "(root)".to_owned() } else { at };
                format!("{at}: {e}")
            })
            .collect();
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }

    /// Compiles a validator for one OpenAPI schema object.
    pub fn compile(&self, schema: &Value) -> Result<jsonschema::Validator> {
        let mut root = match to_json_schema(schema) {
            Value::Object(map) => map,
            Value::Bool(b) => return compile_root(json!(b)),
            other => return Err(anyhow!("a schema must be an object, not {other}")),
        };
        root.insert("$schema".into(), json!("https://json-schema.org/draft/2020-12/schema"));
        root.insert("components".into(), self.components.clone());
        compile_root(Value::Object(root))
    }
}

fn compile_root(root: Value) -> Result<jsonschema::Validator> {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&root)
        .map_err(|e| anyhow!("invalid schema: {e}"))
}

/// Turns a parameter's text (query, path or header) into the JSON value its schema
/// describes: numbers, booleans and comma-separated arrays are parsed; anything that
/// does not parse stays a string, so validation then reports it.
pub fn coerce_param(schema: &Value, text: &str) -> Value {
    let ty = schema.get("type").and_then(Value::as_str);
    match ty {
        Some("integer") => text.parse::<i64>().map(Value::from).unwrap_or_else(|_| json!(text)),
        Some("number") => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .unwrap_or_else(|| json!(text)),
        Some("boolean") => match text {
            "true" => json!(true),
            "false" => json!(false),
            _ => json!(text),
        },
        Some("array") => {
            let items = schema.get("items").cloned().unwrap_or(json!({}));
            Value::Array(text.split(',').map(|part| coerce_param(&items, part)).collect())
        }
        _ => json!(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nullable_admits_null_and_keeps_the_rest() {
        let schema = json!({"type": "string", "format": "date-time", "nullable": true, "example": "x"});
        let set = SchemaSet::new(&json!({}));
        assert!(set.validate(&schema, &json!(null)).is_ok());
        assert!(set.validate(&schema, &json!("2024-12-30T15:30:00.000Z")).is_ok());
        assert!(
            set.validate(&schema, &json!("yesterday")).is_err(),
            "formats are checked"
        );
        assert!(set.validate(&schema, &json!(3)).is_err());
    }

    #[test]
    fn boolean_exclusive_bounds_become_numeric() {
        let converted = to_json_schema(&json!({"type": "number", "minimum": 0, "exclusiveMinimum": true}));
        assert_eq!(converted, json!({"type": "number", "exclusiveMinimum": 0}));
        let converted = to_json_schema(&json!({"type": "number", "minimum": 0, "exclusiveMinimum": false}));
        assert_eq!(converted, json!({"type": "number", "minimum": 0}));
    }

    #[test]
    fn references_resolve_into_the_bundle_components() {
        let bundle = json!({"components": {"schemas": {
            "Side": {"type": "string", "enum": ["BUY", "SELL"]},
            "Order": {"type": "object", "required": ["side"], "properties": {"side": {"$ref": "#/components/schemas/Side"}}}
        }}});
        let set = SchemaSet::new(&bundle);
        let order = json!({"$ref": "#/components/schemas/Order"});
        assert!(set.validate(&order, &json!({"side": "BUY"})).is_ok());
        let errors = set.validate(&order, &json!({"side": "HOLD"})).unwrap_err();
        assert!(errors[0].starts_with("/side:"), "{errors:?}");
    }

    #[test]
    fn parameters_are_coerced_from_text() {
        assert_eq!(coerce_param(&json!({"type": "integer"}), "20"), json!(20));
        assert_eq!(coerce_param(&json!({"type": "integer"}), "x"), json!("x"));
        assert_eq!(coerce_param(&json!({"type": "boolean"}), "true"), json!(true));
        assert_eq!(
            coerce_param(&json!({"type": "array", "items": {"type": "string"}}), "a,b"),
            json!(["a", "b"])
        );
    }
}
