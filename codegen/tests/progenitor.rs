//! progenitor 0.15 generates a client from the bundle without panicking, with one method
//! per operationId and exact decimals as `rust_decimal::Decimal`.

use meridian_codegen::artefacts::load_bundle;
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
