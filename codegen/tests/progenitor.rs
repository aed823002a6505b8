//! progenitor 0.15 generates a client from the bundle without panicking, with one method
//! per operationId and exact decimals as `rust_decimal::Decimal`; the committed Rust SDK
//! layer (sdk-rust/src/generated.rs) is that output.

use meridian_codegen::artefacts::{SDK_RUST_GENERATED, artefacts, load_bundle};
use meridian_codegen::bundle::METHODS;
use meridian_codegen::repo_root;
use meridian_codegen::sdk_rust::{RUST_HEADER, generate};

#[test]
fn progenitor_generates_a_client_for_every_operation() {
    let (_, bundle) = load_bundle(&repo_root()).expect("bundles");
    let code = generate(&bundle.doc).expect("progenitor generates");
    assert!(code.starts_with(RUST_HEADER));
    let mut missing = Vec::new();
    for item in bundle.doc["paths"].as_object().expect("paths").values() {
        for method in METHODS {
            if let Some(id) = item.get(*method).and_then(|op| op["operationId"].as_str())
                && !code.contains(&format!("pub async fn {id}<"))
                && !code.contains(&format!("pub async fn {id}("))
            {
                missing.push(id.to_owned());
            }
        }
    }
    assert!(missing.is_empty(), "no generated method for {missing:?}");
    assert!(
        code.contains("::rust_decimal::Decimal"),
        "decimals are mapped to rust_decimal"
    );
    assert!(
        !code.contains("pub struct DecimalNumber"),
        "DecimalNumber is replaced, not generated"
    );
}

#[test]
fn the_committed_sdk_layer_is_a_fresh_generation() {
    let root = repo_root();
    let (_, bundle) = load_bundle(&root).expect("bundles");
    let fresh = generate(&bundle.doc).expect("progenitor generates");
    let committed = std::fs::read_to_string(root.join(SDK_RUST_GENERATED)).expect("sdk-rust/src/generated.rs");
    assert!(
        committed == fresh,
        "{SDK_RUST_GENERATED} is stale: run `cargo codegen generate` and commit the result"
    );
    let artefact = artefacts(&root, &bundle)
        .expect("artefacts")
        .into_iter()
        .find(|a| a.path.as_os_str() == SDK_RUST_GENERATED)
        .expect("generate and check cover the SDK layer");
    assert!(artefact.content == fresh);
}

#[test]
fn money_never_becomes_a_float() {
    let (_, bundle) = load_bundle(&repo_root()).expect("bundles");
    let code = generate(&bundle.doc).expect("progenitor generates");
    assert!(
        !code.contains("f64") && !code.contains("f32"),
        "a number schema became a float"
    );
}
