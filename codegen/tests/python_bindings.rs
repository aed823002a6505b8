//! The Python bindings generated from the bundle: every operationId is a method of both
//! the sync and the async resources and an arm of the native dispatch, every Rust SDK
//! stream an `…_iter` method, every object schema a model class.

use meridian_codegen::artefacts::{
    SDK_PYTHON_MODELS, SDK_PYTHON_OPERATIONS, SDK_PYTHON_RESOURCES, artefacts, load_bundle,
};
use meridian_codegen::bundle::METHODS;
use meridian_codegen::repo_root;
use meridian_codegen::sdk_python::PYTHON_HEADER;

fn artefact(all: &[meridian_codegen::artefacts::Artefact], path: &str) -> String {
    all.iter()
        .find(|a| a.path.as_os_str() == path)
        .unwrap_or_else(|| panic!("generate and check cover {path}"))
        .content
        .clone()
}

#[test]
fn every_operation_is_bound_sync_async_and_native() {
    let root = repo_root();
    let (_, bundle) = load_bundle(&root).expect("bundles");
    let all = artefacts(&root, &bundle).expect("artefacts");
    let resources = artefact(&all, SDK_PYTHON_RESOURCES);
    let dispatch = artefact(&all, SDK_PYTHON_OPERATIONS);
    assert!(resources.starts_with(PYTHON_HEADER));
    let mut missing = Vec::new();
    for item in bundle.doc["paths"].as_object().expect("paths").values() {
        for method in METHODS {
            let Some(id) = item.get(*method).and_then(|op| op["operationId"].as_str()) else {
                continue;
            };
            let sync = resources.contains(&format!("\n    def {id}("));
            let asynchronous = resources.contains(&format!("\n    async def {id}("));
            let native = dispatch.contains(&format!("\"{id}\" => {{"));
            if !(sync && asynchronous && native) {
                missing.push(format!("{id} (sync {sync}, async {asynchronous}, native {native})"));
            }
        }
    }
    assert!(missing.is_empty(), "not bound: {missing:#?}");
}

#[test]
fn every_rust_stream_is_an_iterator_and_every_object_schema_a_model() {
    let root = repo_root();
    let (_, bundle) = load_bundle(&root).expect("bundles");
    let all = artefacts(&root, &bundle).expect("artefacts");
    let resources = artefact(&all, SDK_PYTHON_RESOURCES);
    let models = artefact(&all, SDK_PYTHON_MODELS);
    let pagination = std::fs::read_to_string(root.join("sdk-rust/src/pagination.rs")).expect("pagination.rs");
    let streams: Vec<&str> = pagination
        .split("pub fn ")
        .skip(1)
        .filter_map(|rest| rest.split(['(', '<']).next())
        .filter_map(|name| name.strip_suffix("_stream"))
        .collect();
    assert!(streams.len() >= 9, "the Rust SDK's streams: {streams:?}");
    for stream in streams {
        assert_eq!(
            resources.matches(&format!("def {stream}_iter(")).count(),
            2,
            "{stream}_iter on the sync and the async resource"
        );
    }
    for (name, schema) in bundle.doc["components"]["schemas"].as_object().expect("schemas") {
        let object = schema["properties"].as_object().is_some_and(|p| !p.is_empty());
        if object {
            assert!(
                models.contains(&format!("\nclass {name}(Model):")),
                "no model class {name}"
            );
        }
    }
    assert!(models.contains("LoginResponse = Union[LoginSuccess, LoginTwoFactorRequired]"));
    assert!(models.contains("TradingSide = Literal[\"BUY\", \"SELL\"]"));
}
