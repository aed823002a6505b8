//! Spec conformance: the server's own poem-openapi spec, normalised, equals the hand-written
//! bundle operation by operation; operations not served yet are listed in
//! `tests/unimplemented.txt`. A second test proves the comparison catches drift.

use meridian_contract_tests::TestServer;
use meridian_contract_tests::spec::{self, compare};
use serde_json::Value;

async fn server_spec() -> Value {
    let server = TestServer::start().await;
    let text = meridian_server::api::service(server.state()).spec();
    serde_json::from_str(&text).expect("the server's spec is JSON")
}

#[tokio::test]
async fn the_server_conforms_to_the_bundle() {
    let served = server_spec().await;
    let problems = compare(spec::bundle(), &served, &spec::unimplemented());
    assert!(
        problems.is_empty(),
        "the server differs from the bundle:\n  {}",
        problems.join("\n  ")
    );
}

#[tokio::test]
async fn the_comparison_catches_injected_drift() {
    let served = server_spec().await;
    let unimplemented = spec::unimplemented();
    let op = "/paths/~1api~1health/get";
    let drift = |mutate: &dyn Fn(&mut Value)| {
        let mut copy = served.clone();
        mutate(&mut copy);
        compare(spec::bundle(), &copy, &unimplemented)
    };
    // A renamed operationId.
    let problems = drift(&|doc| doc.pointer_mut(op).unwrap()["operationId"] = "health".into());
    assert!(problems.iter().any(|p| p.contains("operationId")), "{problems:?}");
    // A documented status dropped.
    let problems = drift(&|doc| {
        doc.pointer_mut(&format!("{op}/responses"))
            .unwrap()
            .as_object_mut()
            .unwrap()
            .remove("503");
    });
    assert!(problems.iter().any(|p| p.contains("responses.503")), "{problems:?}");
    // A field's type changed deep inside the success schema.
    let problems = drift(&|doc| {
        let schemas = doc
            .pointer_mut("/components/schemas/HealthResponse/properties")
            .unwrap();
        schemas["version"] = serde_json::json!({"type": "integer"});
    });
    assert!(problems.iter().any(|p| p.contains("version")), "{problems:?}");
    // An operation the bundle does not have.
    let problems = drift(&|doc| {
        let item = doc.pointer(op).unwrap().clone();
        doc["paths"]["/api/extra"] = serde_json::json!({ "get": item });
    });
    assert!(problems.iter().any(|p| p.contains("/api/extra")), "{problems:?}");
    // An implemented operation that is still listed as unimplemented.
    let mut listed = unimplemented.clone();
    listed.insert("get_health".into());
    let problems = compare(spec::bundle(), &served, &listed);
    assert!(problems.iter().any(|p| p.contains("remove it")), "{problems:?}");
}
