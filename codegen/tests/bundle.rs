//! The committed bundle is complete: every endpoint of API-MAP.md and of the operationId
//! table in docs/api-design.md is in it, with that operationId, and nothing else is.

use std::collections::BTreeSet;

use meridian_codegen::artefacts::{artefacts, load_bundle, stale};
use meridian_codegen::bundle::METHODS;
use meridian_codegen::repo_root;
use serde_json::Value;

/// (METHOD, path, operationId) for every operation in the bundle.
fn bundled_operations() -> BTreeSet<(String, String, String)> {
    let (_, bundle) = load_bundle(&repo_root()).expect("bundles");
    let mut out = BTreeSet::new();
    for (path, item) in bundle.doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if let Some(op) = item.get(*method) {
                let id = op["operationId"].as_str().unwrap_or_default().to_owned();
                out.insert((method.to_uppercase(), path.clone(), id));
            }
        }
    }
    out
}

/// The operationId table of docs/api-design.md.
fn design_table() -> BTreeSet<(String, String, String)> {
    let text = std::fs::read_to_string(repo_root().join("docs/api-design.md")).expect("docs/api-design.md");
    let table = text.split("## operationIds").nth(1).expect("an operationIds section");
    table
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            // | group | method path | operationId |
            let (method, path) = cells.get(2)?.split_once(' ')?;
            METHODS.contains(&method.to_lowercase().as_str()).then(|| {
                (
                    method.to_owned(),
                    path.to_owned(),
                    cells.get(3).copied().unwrap_or_default().to_owned(),
                )
            })
        })
        .collect()
}

#[test]
fn the_bundle_matches_the_operation_id_table() {
    let bundled = bundled_operations();
    let table = design_table();
    assert_eq!(
        table.len(),
        64,
        "the table lists 61 API-MAP operations plus 3 OAuth endpoints"
    );
    let missing: Vec<_> = table.difference(&bundled).collect();
    let extra: Vec<_> = bundled.difference(&table).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing from the bundle: {missing:#?}\nnot in the table: {extra:#?}"
    );
}

/// Every `METHOD /path` of API-MAP.md's tables, when the shared folder is beside the repo.
#[test]
fn the_bundle_covers_every_api_map_endpoint() {
    let Ok(map) = std::fs::read_to_string(repo_root().join("../shared/API-MAP.md")) else {
        eprintln!("../shared/API-MAP.md not found beside the repository; skipping the cross-check");
        return;
    };
    let bundled: BTreeSet<(String, String)> = bundled_operations()
        .into_iter()
        .map(|(method, path, _)| (method, path))
        .collect();
    let mut endpoints = BTreeSet::new();
    for line in map.lines().filter(|l| l.starts_with("| ")) {
        let first = line.split('|').nth(1).unwrap_or_default();
        for part in first.split('·') {
            let Some((method, path)) = part.trim().split_once(' ') else {
                continue;
            };
            if !METHODS.contains(&method.to_lowercase().as_str()) {
                continue;
            }
            let path = path.split('?').next().unwrap_or_default().trim().to_owned();
            // The documents and Swagger UI are served beside the API, not operations of it.
            if ["/openapi.json", "/openapi.yaml", "/docs"].contains(&path.as_str()) {
                continue;
            }
            endpoints.insert((method.to_owned(), path));
        }
    }
    assert_eq!(
        endpoints.len(),
        64,
        "API-MAP.md lists 61 operations plus the 3 OAuth endpoints: {endpoints:#?}"
    );
    let missing: Vec<_> = endpoints.difference(&bundled).collect();
    assert!(
        missing.is_empty(),
        "API-MAP endpoints missing from the bundle: {missing:#?}"
    );
}

#[test]
fn the_committed_bundle_is_up_to_date() {
    let root = repo_root();
    let (_, bundle) = load_bundle(&root).expect("bundles");
    let stale = stale(&root, &artefacts(&root, &bundle).expect("artefacts"));
    assert!(
        stale.is_empty(),
        "stale generated files (run `cargo codegen generate`): {stale:?}"
    );
}

#[test]
fn every_operation_has_a_seed_casing_and_a_request_id_header() {
    // A spot check of the shared headers reaching operations through the bundle.
    let (_, bundle) = load_bundle(&repo_root()).expect("bundles");
    let header = &bundle.doc["components"]["headers"]["X-Request-Id"];
    assert_eq!(header["schema"]["maxLength"], Value::from(128));
}
