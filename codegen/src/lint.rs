//! Lint: the rules every Meridian OpenAPI document must follow (docs/api-design.md).
//!
//! Some rules keep progenitor from panicking (one success schema, one error schema, one
//! request media type, no `default`); the rest keep the documents complete (operationId,
//! summary, tag, every path parameter, the statuses and headers every operation returns)
//! and truthful (every example validates against its schema).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::Value;

use crate::bundle::{Bundle, METHODS, deref};
use crate::load::Sources;
use crate::schema::{SchemaSet, coerce_param};

/// One broken rule, with where it is broken.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    /// Where: the file, then the operation or component, then the place inside it.
    pub location: String,
    /// Which rule is broken, and how.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// Statuses every operation documents.
const ALWAYS: &[&str] = &["400", "429", "500", "503"];
/// Statuses every secured operation adds.
const SECURED: &[&str] = &["401", "403"];
/// Headers every response carries.
const RESPONSE_HEADERS: &[&str] = &[
    "X-Request-Id",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
];
/// The one error body outside `/api/oauth/`.
const API_ERROR: &str = "#/components/schemas/ApiErrorBody";
/// The RFC 6749 error body of `/api/oauth/`.
const OAUTH_ERROR: &str = "#/components/schemas/OAuthErrorBody";

/// Checks the bundle (and the documents it came from) against every rule.
pub fn lint(sources: &Sources, bundle: &Bundle) -> Vec<Finding> {
    let mut linter = Linter {
        root: &bundle.doc,
        schemas: SchemaSet::new(&bundle.doc),
        file_tags: BTreeMap::new(),
        findings: BTreeSet::new(),
    };
    linter.documents(sources);
    linter.operations(bundle);
    linter.components();
    linter.findings.into_iter().collect()
}

struct Linter<'a> {
    root: &'a Value,
    schemas: SchemaSet,
    /// The one tag each group document declares.
    file_tags: BTreeMap<String, String>,
    findings: BTreeSet<Finding>,
}

impl<'a> Linter<'a> {
    fn report(&mut self, location: impl Into<String>, message: impl Into<String>) {
        self.findings.insert(Finding {
            location: location.into(),
            message: message.into(),
        });
    }

    /// Per-file rules: version, servers, exactly one tag for each group document.
    fn documents(&mut self, sources: &Sources) {
        for doc in &sources.docs {
            let v = &doc.value;
            if v.get("openapi").and_then(Value::as_str) != Some("3.0.3") {
                self.report(&doc.file, "`openapi` must be \"3.0.3\"");
            }
            if v.pointer("/info/title")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                self.report(&doc.file, "`info.title` is missing");
            }
            let has_paths = v.get("paths").and_then(Value::as_object).is_some_and(|p| !p.is_empty());
            if has_paths {
                let tags = v.get("tags").and_then(Value::as_array).map(Vec::len).unwrap_or(0);
                if tags != 1 {
                    self.report(
                        &doc.file,
                        format!("a group document declares exactly one tag (found {tags})"),
                    );
                }
                if let Some(tag) = v.pointer("/tags/0/name").and_then(Value::as_str) {
                    self.file_tags.insert(doc.file.clone(), tag.to_owned());
                }
            }
        }
    }

    /// Per-operation rules.
    fn operations(&mut self, bundle: &Bundle) {
        let root = self.root;
        let Some(paths) = root.get("paths").and_then(Value::as_object) else {
            self.report("bundle", "no paths");
            return;
        };
        let mut operation_ids: BTreeMap<String, String> = BTreeMap::new();
        for (path, item) in paths {
            let file = bundle.path_files.get(path).cloned().unwrap_or_default();
            let group_tag = self.file_tags.get(&file).cloned();
            let shared_params: Vec<Value> = item
                .get("parameters")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if item.get("$ref").is_some() {
                self.report(format!("{file}: {path}"), "path items must not be references");
            }
            for method in METHODS {
                let Some(op) = item.get(*method) else { continue };
                let at = format!("{file}: {} {path}", method.to_uppercase());
                self.operation(&at, path, op, &shared_params, group_tag.as_deref(), &mut operation_ids);
            }
        }
    }

    fn operation(
        &mut self,
        at: &str,
        path: &str,
        op: &Value,
        shared_params: &[Value],
        group_tag: Option<&str>,
        operation_ids: &mut BTreeMap<String, String>,
    ) {
        let root = self.root;
        // Identity and documentation.
        match op.get("operationId").and_then(Value::as_str) {
            None => self.report(at, "missing `operationId`"),
            Some(id) => {
                if !is_snake_case(id) {
                    self.report(at, format!("operationId `{id}` is not snake_case"));
                }
                if let Some(other) = operation_ids.insert(id.to_owned(), at.to_owned()) {
                    self.report(at, format!("duplicate operationId `{id}` (also {other})"));
                }
            }
        }
        for key in ["summary", "description"] {
            if op.get(key).and_then(Value::as_str).is_none_or(|s| s.trim().is_empty()) {
                self.report(at, format!("missing `{key}`"));
            }
        }
        let tags: Vec<&str> = op
            .get("tags")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        match (tags.as_slice(), group_tag) {
            ([], _) => self.report(at, "missing tag"),
            ([tag], Some(group)) if *tag != group => {
                self.report(at, format!("tag `{tag}` is not this document's group `{group}`"))
            }
            ([_], _) => {}
            _ => self.report(at, format!("exactly one tag, found {}", tags.len())),
        }

        // Parameters.
        let params: Vec<&Value> = shared_params
            .iter()
            .chain(op.get("parameters").and_then(Value::as_array).into_iter().flatten())
            .map(|p| deref(root, p))
            .collect();
        let template: Vec<&str> = path_template_names(path);
        for name in &template {
            let declared = params.iter().find(|p| {
                p.get("in").and_then(Value::as_str) == Some("path")
                    && p.get("name").and_then(Value::as_str) == Some(name)
            });
            match declared {
                None => self.report(at, format!("path parameter `{name}` is not declared")),
                Some(p) if p.get("required").and_then(Value::as_bool) != Some(true) => {
                    self.report(at, format!("path parameter `{name}` must be `required: true`"))
                }
                Some(_) => {}
            }
        }
        for p in &params {
            let name = p.get("name").and_then(Value::as_str).unwrap_or("?");
            let location = p.get("in").and_then(Value::as_str).unwrap_or("?");
            if location == "path" && !template.contains(&name) {
                self.report(at, format!("path parameter `{name}` is not in the path"));
            }
            if p.get("description")
                .and_then(Value::as_str)
                .is_none_or(|s| s.trim().is_empty())
            {
                self.report(at, format!("parameter `{name}` has no description"));
            }
            let Some(schema) = p.get("schema") else {
                self.report(at, format!("parameter `{name}` has no schema"));
                continue;
            };
            self.schema_tree(&format!("{at}: parameter `{name}`"), schema);
            if let Some(example) = p.get("example") {
                // Parameters travel as text: a string example of a non-string schema is parsed first.
                let value = match example {
                    Value::String(text) => coerce_param(deref(root, schema), text),
                    other => other.clone(),
                };
                self.example(&format!("{at}: parameter `{name}` example"), schema, &value);
            }
        }

        // Request body.
        let has_body = if let Some(body) = op.get("requestBody") {
            let body = deref(root, body);
            self.media(&format!("{at}: requestBody"), body, true);
            true
        } else {
            false
        };

        // Responses.
        let Some(responses) = op.get("responses").and_then(Value::as_object) else {
            self.report(at, "missing `responses`");
            return;
        };
        if responses.contains_key("default") {
            self.report(at, "`default` responses are not allowed (progenitor); list each status");
        }
        let success: Vec<&String> = responses.keys().filter(|s| s.starts_with('2')).collect();
        if success.len() != 1 {
            self.report(
                at,
                format!("exactly one 2xx response is allowed, found {}", success.len()),
            );
        }
        let security = op.get("security").and_then(Value::as_array);
        let secured = security
            .is_some_and(|reqs| !reqs.is_empty() && reqs.iter().all(|r| r.as_object().is_some_and(|m| !m.is_empty())));
        self.security(at, security);
        let mut required: Vec<&str> = ALWAYS.to_vec();
        if secured {
            required.extend_from_slice(SECURED);
        }
        if has_body {
            required.push("413");
        }
        for status in required {
            if !responses.contains_key(status) {
                self.report(at, format!("missing response `{status}`"));
            }
        }
        if security.is_none() {
            for status in SECURED {
                if responses.contains_key(*status) {
                    self.report(
                        at,
                        format!("a public operation cannot answer `{status}`; declare its `security`"),
                    );
                }
            }
        }
        let error_body = if path.starts_with("/api/oauth/") {
            OAUTH_ERROR
        } else {
            API_ERROR
        };
        for (status, response) in responses {
            let rat = format!("{at}: responses.{status}");
            if !(status.len() == 3 && status.chars().all(|c| c.is_ascii_digit())) && status != "default" {
                self.report(&rat, "statuses are three-digit codes");
                continue;
            }
            let resolved = deref(root, response);
            if resolved
                .get("description")
                .and_then(Value::as_str)
                .is_none_or(|s| s.trim().is_empty())
            {
                self.report(&rat, "missing `description`");
            }
            self.headers(&rat, status, resolved);
            if status.starts_with('2') {
                if status == "204" {
                    if resolved.get("content").is_some() {
                        self.report(&rat, "a 204 response has no content");
                    }
                } else {
                    self.media(&rat, resolved, false);
                }
            } else if status.starts_with('4') || status.starts_with('5') {
                let content = resolved.get("content").and_then(Value::as_object);
                let schema_ref = content
                    .filter(|c| c.len() == 1)
                    .and_then(|c| c.get("application/json"))
                    .and_then(|m| m.get("schema"))
                    .and_then(|s| s.get("$ref"))
                    .and_then(Value::as_str);
                if schema_ref != Some(error_body) {
                    let name = error_body.rsplit('/').next().unwrap_or(error_body);
                    self.report(
                        &rat,
                        format!("error responses use exactly `application/json` with `{name}`"),
                    );
                }
                if response.get("$ref").is_none() {
                    self.media_examples(&rat, resolved);
                }
            }
        }
    }

    /// Security requirements name declared schemes and, for OAuth 2.0, declared scopes.
    fn security(&mut self, at: &str, security: Option<&Vec<Value>>) {
        let root = self.root;
        for requirement in security.into_iter().flatten() {
            let Some(requirement) = requirement.as_object() else {
                self.report(at, "security requirements are objects");
                continue;
            };
            for (scheme, scopes) in requirement {
                let Some(definition) = root.pointer(&format!("/components/securitySchemes/{scheme}")) else {
                    self.report(at, format!("security scheme `{scheme}` is not defined"));
                    continue;
                };
                let scopes: Vec<&str> = scopes
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                if definition.get("type").and_then(Value::as_str) == Some("oauth2") {
                    let known: BTreeSet<&str> = definition
                        .get("flows")
                        .and_then(Value::as_object)
                        .into_iter()
                        .flat_map(|flows| flows.values())
                        .filter_map(|flow| flow.get("scopes").and_then(Value::as_object))
                        .flat_map(|s| s.keys().map(String::as_str))
                        .collect();
                    for scope in scopes {
                        if !known.contains(scope) {
                            self.report(at, format!("scope `{scope}` is not defined by `{scheme}`"));
                        }
                    }
                } else if !scopes.is_empty() {
                    self.report(at, format!("`{scheme}` is not OAuth 2.0 and takes no scopes"));
                }
            }
        }
    }

    /// A request body or success response: one media type, a schema, an example that validates.
    fn media(&mut self, at: &str, holder: &Value, is_request: bool) {
        let Some(content) = holder.get("content").and_then(Value::as_object) else {
            self.report(at, "missing `content`");
            return;
        };
        if content.len() != 1 {
            let what = if is_request { "request" } else { "success response" };
            self.report(
                at,
                format!(
                    "a {what} has exactly one media type (progenitor), found {}",
                    content.len()
                ),
            );
        }
        for (media_type, media) in content {
            let mat = format!("{at}: {media_type}");
            if media.get("schema").is_none() {
                self.report(&mat, "missing `schema`");
                continue;
            }
            if media.get("example").is_none() && media.get("examples").is_none() {
                self.report(&mat, "missing example (`example` or `examples`)");
            }
        }
        self.media_examples(at, holder);
    }

    /// Every example of every media type validates against the media type's schema.
    fn media_examples(&mut self, at: &str, holder: &Value) {
        let root = self.root;
        for (media_type, media) in holder.get("content").and_then(Value::as_object).into_iter().flatten() {
            let mat = format!("{at}: {media_type}");
            let Some(schema) = media.get("schema") else { continue };
            self.schema_tree(&mat, schema);
            if let Some(example) = media.get("example") {
                self.example(&format!("{mat}: example"), schema, example);
            }
            for (name, example) in media.get("examples").and_then(Value::as_object).into_iter().flatten() {
                let example = deref(root, example);
                match example.get("value") {
                    Some(value) => self.example(&format!("{mat}: examples.{name}"), schema, value),
                    None => self.report(format!("{mat}: examples.{name}"), "an example needs a `value`"),
                }
            }
        }
    }

    /// The standard headers on every response; `Retry-After` on 429.
    fn headers(&mut self, at: &str, status: &str, response: &Value) {
        let headers = response.get("headers").and_then(Value::as_object);
        let mut needed: Vec<&str> = RESPONSE_HEADERS.to_vec();
        if status == "429" {
            needed.push("Retry-After");
        }
        for header in needed {
            if !headers.is_some_and(|h| h.contains_key(header)) {
                self.report(at, format!("missing header `{header}`"));
            }
        }
    }

    fn example(&mut self, at: &str, schema: &Value, value: &Value) {
        if let Err(errors) = self.schemas.validate(schema, value) {
            for error in errors {
                self.report(at, format!("example does not validate: {error}"));
            }
        }
    }

    /// Component-level rules: every schema is described and its examples validate;
    /// shared responses' examples validate.
    fn components(&mut self) {
        let root = self.root;
        for (name, schema) in root
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let at = format!("components.schemas.{name}");
            if schema
                .get("description")
                .and_then(Value::as_str)
                .is_none_or(|s| s.trim().is_empty())
            {
                self.report(&at, "missing `description`");
            }
            self.schema_tree(&at, schema);
        }
        for (name, response) in root
            .pointer("/components/responses")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            self.media_examples(&format!("components.responses.{name}"), response);
        }
        for (name, header) in root
            .pointer("/components/headers")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            if let Some(schema) = header.get("schema") {
                self.schema_tree(&format!("components.headers.{name}"), schema);
            }
        }
    }

    /// Walks a schema and its subschemas: no `$ref` siblings, every property described,
    /// `required` names existing properties, every `example` validates.
    fn schema_tree(&mut self, at: &str, schema: &Value) {
        let Some(map) = schema.as_object() else { return };
        if map.contains_key("$ref") {
            if map.len() > 1 {
                let extra: Vec<&str> = map.keys().filter(|k| *k != "$ref").map(String::as_str).collect();
                self.report(
                    at,
                    format!(
                        "`$ref` siblings are ignored in OpenAPI 3.0 ({}); wrap it: `allOf: [{{$ref}}]`",
                        extra.join(", ")
                    ),
                );
            }
            return;
        }
        if let Some(example) = map.get("example") {
            self.example(&format!("{at}: example"), schema, example);
        }
        if let Some(props) = map.get("properties").and_then(Value::as_object) {
            for (name, prop) in props {
                let pat = format!("{at}.{name}");
                let bare_ref = prop.as_object().is_some_and(|p| p.contains_key("$ref"));
                if !bare_ref
                    && prop
                        .get("description")
                        .and_then(Value::as_str)
                        .is_none_or(|s| s.trim().is_empty())
                {
                    self.report(&pat, "property has no description");
                }
                self.schema_tree(&pat, prop);
            }
            for name in map
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if !props.contains_key(name) {
                    self.report(at, format!("`required` names `{name}`, which is not a property"));
                }
            }
        }
        for key in ["items", "additionalProperties", "not"] {
            if let Some(sub) = map.get(key) {
                self.schema_tree(&format!("{at}[{key}]"), sub);
            }
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            for (i, sub) in map.get(key).and_then(Value::as_array).into_iter().flatten().enumerate() {
                self.schema_tree(&format!("{at}.{key}[{i}]"), sub);
            }
        }
    }
}

/// `snake_case`: lowercase ASCII words of letters and digits joined by single underscores.
pub fn is_snake_case(id: &str) -> bool {
    !id.is_empty()
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && !id.ends_with('_')
        && !id.contains("__")
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The `{name}`s of a path template, in order.
pub fn path_template_names(path: &str) -> Vec<&str> {
    path.split('{')
        .skip(1)
        .filter_map(|part| part.split_once('}').map(|(name, _)| name))
        .collect()
}
