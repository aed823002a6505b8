//! The linter catches each rule being broken: every test injects one defect into the
//! real documents and expects the matching finding (and the real documents lint clean).

use meridian_codegen::bundle::bundle;
use meridian_codegen::lint::{Finding, lint};
use meridian_codegen::load::Sources;
use meridian_codegen::repo_root;
use serde_json::{Value, json};

fn sources() -> Sources {
    Sources::load(&repo_root().join("openapi")).expect("the documents load")
}

/// Lints `sources` after `edit`, returning the findings as text.
fn findings_after(edit: impl FnOnce(&mut Sources)) -> Vec<String> {
    let mut sources = sources();
    edit(&mut sources);
    let bundle = bundle(&sources).expect("the edited documents still bundle");
    lint(&sources, &bundle).iter().map(Finding::to_string).collect()
}

fn doc_mut<'a>(sources: &'a mut Sources, file: &str) -> &'a mut Value {
    &mut sources
        .docs
        .iter_mut()
        .find(|d| d.file == file)
        .expect("document exists")
        .value
}

fn health(sources: &mut Sources) -> &mut Value {
    doc_mut(sources, "system.yaml")
        .pointer_mut("/paths/~1api~1health/get")
        .expect("health exists")
}

fn assert_finding(findings: &[String], needle: &str) {
    assert!(
        findings.iter().any(|f| f.contains(needle)),
        "expected a finding containing {needle:?}, got {findings:#?}"
    );
}

#[test]
fn the_committed_documents_lint_clean() {
    let findings = findings_after(|_| {});
    assert!(findings.is_empty(), "lint findings: {findings:#?}");
}

#[test]
fn missing_operation_id_summary_and_tag_are_caught() {
    let findings = findings_after(|s| {
        let op = health(s).as_object_mut().unwrap();
        op.remove("operationId");
        op.remove("summary");
        op.remove("tags");
    });
    assert_finding(&findings, "GET /api/health: missing `operationId`");
    assert_finding(&findings, "GET /api/health: missing `summary`");
    assert_finding(&findings, "GET /api/health: missing tag");
}

#[test]
fn a_tag_of_another_group_is_caught() {
    let findings = findings_after(|s| health(s)["tags"] = json!(["trading"]));
    assert_finding(&findings, "tag `trading` is not this document's group `system`");
}

#[test]
fn duplicate_and_non_snake_case_operation_ids_are_caught() {
    let findings = findings_after(|s| {
        let login = doc_mut(s, "auth.yaml")
            .pointer("/paths/~1api~1auth~1login/post/operationId")
            .cloned()
            .unwrap();
        health(s)["operationId"] = login;
    });
    assert_finding(&findings, "duplicate operationId `login`");
    let findings = findings_after(|s| health(s)["operationId"] = json!("getHealth"));
    assert_finding(&findings, "operationId `getHealth` is not snake_case");
}

#[test]
fn an_undocumented_path_parameter_is_caught() {
    let findings = findings_after(|s| {
        let doc = doc_mut(s, "system.yaml");
        let item = doc["paths"].as_object_mut().unwrap().remove("/api/health").unwrap();
        doc["paths"]["/api/health/{probe}"] = item;
    });
    assert_finding(
        &findings,
        "GET /api/health/{probe}: path parameter `probe` is not declared",
    );
}

#[test]
fn an_example_that_does_not_validate_is_caught() {
    let findings = findings_after(|s| {
        health(s)["responses"]["200"]["content"]["application/json"]["example"]["services"]["redis"] = json!("maybe");
    });
    assert_finding(
        &findings,
        "responses.200: application/json: example: example does not validate: /services/redis",
    );
}

#[test]
fn a_schema_level_example_that_does_not_validate_is_caught() {
    let findings = findings_after(|s| {
        doc_mut(s, "system.yaml")["components"]["schemas"]["HealthServices"]["properties"]["database"]["example"] =
            json!("sideways");
    });
    assert_finding(
        &findings,
        "components.schemas.HealthServices.database: example: example does not validate",
    );
}

#[test]
fn progenitor_rules_are_enforced() {
    // Two success responses.
    let findings = findings_after(|s| {
        let ok = health(s)["responses"]["200"].clone();
        health(s)["responses"]["201"] = ok;
    });
    assert_finding(&findings, "exactly one 2xx response is allowed, found 2");
    // A default response.
    let findings = findings_after(|s| {
        health(s)["responses"]["default"] = json!({"$ref": "#/components/responses/InternalError"});
    });
    assert_finding(&findings, "`default` responses are not allowed");
    // An error response with another schema.
    let findings = findings_after(|s| {
        health(s)["responses"]["500"] = json!({
            "description": "x",
            "headers": health_headers(),
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HealthResponse"}}}
        });
    });
    assert_finding(
        &findings,
        "responses.500: error responses use exactly `application/json` with `ApiErrorBody`",
    );
    // A request body with two media types.
    let findings = findings_after(|s| {
        let schema = json!({"type": "object", "description": "x"});
        health(s)["requestBody"] = json!({"content": {
            "application/json": {"schema": schema, "example": {}},
            "text/plain": {"schema": {"type": "string"}, "example": "x"}
        }});
    });
    assert_finding(&findings, "a request has exactly one media type (progenitor), found 2");
    assert_finding(&findings, "missing response `413`");
}

fn health_headers() -> Value {
    json!({
        "X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"},
        "X-RateLimit-Limit": {"$ref": "#/components/headers/X-RateLimit-Limit"},
        "X-RateLimit-Remaining": {"$ref": "#/components/headers/X-RateLimit-Remaining"},
        "X-RateLimit-Reset": {"$ref": "#/components/headers/X-RateLimit-Reset"}
    })
}

#[test]
fn required_statuses_and_headers_are_enforced() {
    let findings = findings_after(|s| {
        let op = health(s);
        op["responses"].as_object_mut().unwrap().remove("503");
        op["responses"]["200"]["headers"]
            .as_object_mut()
            .unwrap()
            .remove("X-Request-Id");
        op["security"] = json!([{"bearerAuth": []}]);
    });
    assert_finding(&findings, "missing response `503`");
    assert_finding(&findings, "missing response `401`");
    assert_finding(&findings, "missing response `403`");
    assert_finding(&findings, "responses.200: missing header `X-Request-Id`");
}

#[test]
fn unknown_security_schemes_and_scopes_are_caught() {
    let findings = findings_after(|s| {
        health(s)["security"] = json!([{"nope": []}, {"clientCredentials": ["trading:everything"]}]);
    });
    assert_finding(&findings, "security scheme `nope` is not defined");
    assert_finding(
        &findings,
        "scope `trading:everything` is not defined by `clientCredentials`",
    );
}

#[test]
fn ref_siblings_and_undescribed_properties_are_caught() {
    let findings = findings_after(|s| {
        let props = &mut doc_mut(s, "system.yaml")["components"]["schemas"]["HealthResponse"]["properties"];
        props["services"] = json!({"$ref": "#/components/schemas/HealthServices", "description": "ignored"});
        props["version"].as_object_mut().unwrap().remove("description");
    });
    assert_finding(
        &findings,
        "components.schemas.HealthResponse.services: `$ref` siblings are ignored",
    );
    assert_finding(
        &findings,
        "components.schemas.HealthResponse.version: property has no description",
    );
}

#[test]
fn the_bundler_refuses_colliding_component_names() {
    let mut sources = sources();
    let health_schema = doc_mut(&mut sources, "system.yaml")["components"]["schemas"]["HealthResponse"].clone();
    doc_mut(&mut sources, "loans.yaml")["components"]["schemas"]["HealthResponse"] = health_schema;
    let error = bundle(&sources).expect_err("a collision must fail").to_string();
    assert!(
        error.contains("component `schemas/HealthResponse` is also defined in system.yaml"),
        "{error}"
    );
}

#[test]
fn the_bundler_refuses_dangling_references() {
    let mut sources = sources();
    health(&mut sources)["responses"]["400"] = json!({"$ref": "common.yaml#/components/responses/Nope"});
    let error = bundle(&sources).expect_err("a dangling $ref must fail").to_string();
    assert!(
        error.contains("#/components/responses/Nope` does not resolve"),
        "{error}"
    );
}
