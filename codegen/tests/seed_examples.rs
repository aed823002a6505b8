//! Seed fidelity of the documents: every example request and response the seeds print for
//! our six groups (recorded verbatim in `tests/seed-examples/*.json`) validates against its
//! operation's schema, and every example API-MAP deliberately superseded does not.

use std::collections::BTreeMap;
use std::path::PathBuf;

use meridian_codegen::artefacts::load_bundle;
use meridian_codegen::bundle::{METHODS, deref};
use meridian_codegen::repo_root;
use meridian_codegen::schema::{SchemaSet, coerce_param};
use serde::Deserialize;
use serde_json::{Map, Value};

/// One example printed in a seed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedExample {
    /// Which seed (`000`–`004`).
    seed: String,
    /// Where in the seed it is printed.
    #[serde(rename = "where")]
    place: String,
    #[serde(rename = "operationId")]
    operation_id: String,
    /// `request` or `response`.
    kind: String,
    /// The response status (responses only).
    status: Option<u16>,
    body: Option<Value>,
    #[serde(default)]
    query: Map<String, Value>,
    #[serde(default)]
    path: Map<String, Value>,
    /// What had to change from the seed's text, and why.
    adapted: Option<String>,
    /// Why API-MAP replaced this shape; such an example must not validate.
    superseded: Option<String>,
}

fn fixture_files() -> Vec<PathBuf> {
    let dir = repo_root().join("codegen/tests/seed-examples");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("seed-examples directory")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

fn load() -> Vec<(String, SeedExample)> {
    let mut out = Vec::new();
    for file in fixture_files() {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&file).expect("readable");
        let entries: Vec<SeedExample> =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: not a list of seed examples: {e}"));
        out.extend(entries.into_iter().map(|e| (name.clone(), e)));
    }
    out
}

/// Checks one example; `Err` carries why it does not validate.
fn check(root: &Value, schemas: &SchemaSet, op: &Value, example: &SeedExample) -> Result<(), Vec<String>> {
    let mut errors = Vec::new();
    match example.kind.as_str() {
        "request" => {
            let params: Vec<&Value> = op
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|p| deref(root, p))
                .collect();
            for (location, given) in [("query", &example.query), ("path", &example.path)] {
                for (name, value) in given {
                    let Some(param) = params
                        .iter()
                        .find(|p| p["in"] == location && p["name"] == name.as_str())
                    else {
                        errors.push(format!("{location} parameter `{name}` is not documented"));
                        continue;
                    };
                    let text = value.as_str().map(str::to_owned).unwrap_or_else(|| value.to_string());
                    let schema = &param["schema"];
                    if let Err(e) = schemas.validate(schema, &coerce_param(deref(root, schema), &text)) {
                        errors.extend(e.into_iter().map(|m| format!("{location} `{name}`: {m}")));
                    }
                }
                for param in params.iter().filter(|p| p["in"] == location && p["required"] == true) {
                    let name = param["name"].as_str().unwrap_or_default();
                    if !given.contains_key(name) {
                        errors.push(format!("required {location} parameter `{name}` is missing"));
                    }
                }
            }
            match (&example.body, op.get("requestBody").map(|b| deref(root, b))) {
                (Some(body), Some(request)) => {
                    let content = request["content"].as_object().expect("content");
                    let schema = &content.values().next().expect("one media type")["schema"];
                    if let Err(e) = schemas.validate(schema, body) {
                        errors.extend(e);
                    }
                }
                (Some(_), None) => errors.push("the operation takes no request body".into()),
                (None, Some(request)) if request["required"] == true => {
                    errors.push("the operation requires a request body".into())
                }
                (None, _) => {}
            }
        }
        "response" => {
            let status = example.status.expect("responses name their status").to_string();
            let Some(response) = op["responses"].get(&status).map(|r| deref(root, r)) else {
                return Err(vec![format!("status {status} is not documented")]);
            };
            match (&example.body, response.pointer("/content/application~1json/schema")) {
                (Some(body), Some(schema)) => {
                    if let Err(e) = schemas.validate(schema, body) {
                        errors.extend(e);
                    }
                }
                (Some(_), None) => errors.push(format!("status {status} documents no JSON body")),
                (None, _) => {}
            }
        }
        other => errors.push(format!("unknown kind `{other}`")),
    }
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

#[test]
fn seed_examples_validate_against_the_bundle() {
    let (_, bundle) = load_bundle(&repo_root()).expect("bundles");
    let root = &bundle.doc;
    let schemas = SchemaSet::new(root);
    let mut operations: BTreeMap<&str, &Value> = BTreeMap::new();
    for item in root["paths"].as_object().expect("paths").values() {
        for method in METHODS {
            if let Some(op) = item.get(*method) {
                operations.insert(op["operationId"].as_str().expect("operationId"), op);
            }
        }
    }

    let examples = load();
    let mut failures = Vec::new();
    for (file, example) in &examples {
        let label = format!(
            "{file}: seed {} «{}» ({} {}{})",
            example.seed,
            example.place,
            example.operation_id,
            example.kind,
            example.status.map(|s| format!(" {s}")).unwrap_or_default()
        );
        assert!(
            ["000", "001", "002", "003", "004"].contains(&example.seed.as_str()),
            "{label}: unknown seed"
        );
        for text in [&example.adapted, &example.superseded].into_iter().flatten() {
            assert!(!text.trim().is_empty(), "{label}: `adapted`/`superseded` must say why");
        }
        let Some(op) = operations.get(example.operation_id.as_str()) else {
            failures.push(format!(
                "{label}: no operation `{}` in the bundle",
                example.operation_id
            ));
            continue;
        };
        let outcome = check(root, &schemas, op, example);
        match (&example.superseded, outcome) {
            (None, Err(errors)) => failures.push(format!("{label}: does not validate:\n    {}", errors.join("\n    "))),
            (Some(why), Ok(())) => failures.push(format!(
                "{label}: marked superseded ({why}) but validates; remove the mark or fix the schema"
            )),
            _ => {}
        }
    }
    assert!(
        failures.is_empty(),
        "{} seed example(s) fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The examples the issues single out are all recorded (so none can be dropped silently).
#[test]
fn the_seed_examples_named_by_the_requirements_are_recorded() {
    let examples = load();
    let has = |seed: &str, op: &str, kind: &str| {
        examples
            .iter()
            .any(|(_, e)| e.seed == seed && e.operation_id == op && e.kind == kind && e.superseded.is_none())
    };
    let required = [
        ("003", "register", "request"),
        ("003", "register", "response"),
        ("003", "login", "request"),
        ("003", "login", "response"),
        ("003", "logout", "response"),
        ("000", "login", "request"),
        ("001", "refresh_token", "request"),
        ("001", "resend_verification", "request"),
        ("001", "resend_verification", "response"),
        ("001", "verify_email", "request"),
        ("001", "verify_email", "response"),
        ("001", "get_verification_status", "request"),
        ("001", "get_verification_status", "response"),
        ("002", "admin_list_users", "response"),
        ("002", "admin_list_sessions", "response"),
        ("002", "admin_list_client_keys", "response"),
        ("004", "get_current_user", "response"),
        ("004", "change_password", "request"),
        ("004", "create_account_token", "response"),
        ("004", "create_client_token", "request"),
        ("004", "create_client_token", "response"),
        ("004", "create_client_key", "response"),
        ("004", "list_client_keys", "response"),
        ("004", "list_events", "response"),
        ("003", "get_profile", "response"),
        ("000", "place_order", "request"),
        ("000", "place_order", "response"),
        ("003", "calculate_credit_score", "request"),
        ("003", "calculate_credit_score", "response"),
        ("003", "list_credit_history", "request"),
        ("003", "list_credit_history", "response"),
        ("003", "apply_for_loan", "request"),
        ("003", "apply_for_loan", "response"),
        ("003", "calculate_loan", "request"),
        ("003", "calculate_loan", "response"),
    ];
    let missing: Vec<_> = required.iter().filter(|(s, o, k)| !has(s, o, k)).collect();
    assert!(
        missing.is_empty(),
        "seed examples not recorded (or only as superseded): {missing:?}"
    );
}
