//! The generated artefacts: what `generate` writes and `check` compares.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::bundle::{self, Bundle};
use crate::load::Sources;
use crate::{sdk_python, sdk_rust, sdk_rust_resources};

/// One generated file: where it lives (relative to the repository root) and its content.
#[derive(Debug, Clone)]
pub struct Artefact {
    /// Path relative to the repository root.
    pub path: PathBuf,
    /// The full content.
    pub content: String,
}

/// The Rust SDK's progenitor layer, generated from the bundle.
pub const SDK_RUST_GENERATED: &str = "sdk-rust/src/generated.rs";

/// The Rust SDK's resource layer (`client.trading().place_order(…)`), generated from the
/// bundle and the progenitor layer.
pub const SDK_RUST_RESOURCES: &str = "sdk-rust/src/resources.rs";

/// The Rust SDK's hand-written streams, whose `…_stream()` methods the Python bindings'
/// iterators wrap.
pub const SDK_RUST_PAGINATION: &str = "sdk-rust/src/pagination.rs";

/// The Python bindings' native dispatch (`sdk-python/src/operations.rs`).
pub const SDK_PYTHON_OPERATIONS: &str = "sdk-python/src/operations.rs";

/// The Python bindings' models.
pub const SDK_PYTHON_MODELS: &str = "sdk-python/python/meridian/models.py";

/// The Python bindings' resource classes.
pub const SDK_PYTHON_RESOURCES: &str = "sdk-python/python/meridian/_resources.py";

/// Loads and bundles the documents under `repo/openapi`.
pub fn load_bundle(repo: &Path) -> Result<(Sources, Bundle)> {
    let sources = Sources::load(&repo.join("openapi"))?;
    let bundle = bundle::bundle(&sources)?;
    Ok((sources, bundle))
}

/// Every generated artefact, computed in memory from the bundle (and the Rust SDK's
/// hand-written streams under `repo`).
pub fn artefacts(repo: &Path, bundle: &Bundle) -> Result<Vec<Artefact>> {
    let generated = sdk_rust::generate(&bundle.doc)?;
    let resources = sdk_rust_resources::generate(&bundle.doc, &generated).context("generating the resource layer")?;
    let pagination_path = repo.join(SDK_RUST_PAGINATION);
    let pagination =
        std::fs::read_to_string(&pagination_path).with_context(|| format!("reading {}", pagination_path.display()))?;
    let python =
        sdk_python::generate(&bundle.doc, &generated, &pagination).context("generating the Python bindings")?;
    Ok(vec![
        Artefact {
            path: "openapi/bundled/meridian.yaml".into(),
            content: bundle::render_yaml(&bundle.doc)?,
        },
        Artefact {
            path: "openapi/bundled/meridian.json".into(),
            content: bundle::render_json(&bundle.doc)?,
        },
        Artefact {
            path: SDK_RUST_GENERATED.into(),
            content: generated,
        },
        Artefact {
            path: SDK_RUST_RESOURCES.into(),
            content: resources,
        },
        Artefact {
            path: SDK_PYTHON_OPERATIONS.into(),
            content: python.operations,
        },
        Artefact {
            path: SDK_PYTHON_MODELS.into(),
            content: python.models,
        },
        Artefact {
            path: SDK_PYTHON_RESOURCES.into(),
            content: python.resources,
        },
    ])
}

/// Writes the artefacts under `repo`; returns the paths that changed.
pub fn write(repo: &Path, artefacts: &[Artefact]) -> Result<Vec<PathBuf>> {
    let mut changed = Vec::new();
    for artefact in artefacts {
        let path = repo.join(&artefact.path);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(artefact.content.as_str()) {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            }
            std::fs::write(&path, &artefact.content).with_context(|| format!("writing {}", path.display()))?;
            changed.push(artefact.path.clone());
        }
    }
    Ok(changed)
}

/// The artefacts whose committed copy under `repo` differs from the fresh one.
pub fn stale(repo: &Path, artefacts: &[Artefact]) -> Vec<PathBuf> {
    artefacts
        .iter()
        .filter(|a| std::fs::read_to_string(repo.join(&a.path)).ok().as_deref() != Some(a.content.as_str()))
        .map(|a| a.path.clone())
        .collect()
}
