//! meridian-codegen: loads, bundles and lints Meridian's hand-written OpenAPI documents and
//! generates the artefacts built from them (the bundle, the SDKs' generated layers).

#[cfg(feature = "generate")]
pub mod artefacts;
pub mod bundle;
pub mod lint;
pub mod load;
pub mod schema;
#[cfg(feature = "generate")]
pub mod sdk_python;
#[cfg(feature = "generate")]
pub mod sdk_rust;
#[cfg(feature = "generate")]
pub mod sdk_rust_resources;

use std::path::PathBuf;

/// The repository root: `MERIDIAN_ROOT` when set, else the workspace this crate lives in.
pub fn repo_root() -> PathBuf {
    std::env::var_os("MERIDIAN_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".."))
}
