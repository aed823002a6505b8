//! Loading the hand-written OpenAPI documents from `openapi/` as JSON values.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Map, Number, Value};

/// The name of the root document listing the others.
pub const INDEX_FILE: &str = "index.yaml";

/// One hand-written document, parsed.
#[derive(Debug, Clone)]
pub struct SourceDoc {
    /// File name relative to the `openapi/` directory, e.g. `auth.yaml`.
    pub file: String,
    /// The document as JSON.
    pub value: Value,
}

/// Every hand-written document: the index and the documents it lists, in its order.
#[derive(Debug, Clone)]
pub struct Sources {
    /// The `openapi/` directory they came from.
    pub dir: PathBuf,
    /// `index.yaml`: the bundle's info, servers and tags.
    pub index: Value,
    /// The documents listed in the index's `x-meridian-documents`, in that order.
    pub docs: Vec<SourceDoc>,
}

impl Sources {
    /// Reads `index.yaml` and every document it lists from `dir`.
    pub fn load(dir: &Path) -> Result<Self> {
        let index = read_yaml(&dir.join(INDEX_FILE))?;
        let files = index
            .get("x-meridian-documents")
            .and_then(Value::as_array)
            .ok_or_else(|| anyhow!("{INDEX_FILE}: `x-meridian-documents` must list the documents"))?;
        let mut docs = Vec::with_capacity(files.len());
        for file in files {
            let file = file
                .as_str()
                .ok_or_else(|| anyhow!("{INDEX_FILE}: document names must be strings"))?;
            let value = read_yaml(&dir.join(file))?;
            docs.push(SourceDoc {
                file: file.to_owned(),
                value,
            });
        }
        Ok(Self {
            dir: dir.to_owned(),
            index,
            docs,
        })
    }

    /// The document called `file`, if the index lists it.
    pub fn doc(&self, file: &str) -> Option<&SourceDoc> {
        self.docs.iter().find(|d| d.file == file)
    }
}

/// Reads a YAML file into JSON.
pub fn read_yaml(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    yaml_to_json(&text).with_context(|| format!("parsing {}", path.display()))
}

/// Parses YAML text into a JSON value, keeping key order; map keys that YAML typed as
/// numbers or booleans (an unquoted `200:`) become their text.
pub fn yaml_to_json(text: &str) -> Result<Value> {
    let yaml: serde_yaml::Value = serde_yaml::from_str(text)?;
    convert(yaml)
}

fn convert(yaml: serde_yaml::Value) -> Result<Value> {
    use serde_yaml::Value as Y;
    Ok(match yaml {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Number(i.into())
            } else if let Some(u) = n.as_u64() {
                Value::Number(u.into())
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                Value::Number(Number::from_f64(f).ok_or_else(|| anyhow!("non-finite number {f}"))?)
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(convert).collect::<Result<_>>()?),
        Y::Mapping(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let key = match k {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    other => bail!("unsupported map key {other:?}"),
                };
                if out.insert(key.clone(), convert(v)?).is_some() {
                    bail!("duplicate key `{key}`");
                }
            }
            Value::Object(out)
        }
        Y::Tagged(t) => bail!("YAML tags are not supported ({})", t.tag),
    })
}
