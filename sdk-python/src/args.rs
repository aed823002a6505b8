//! Keyword arguments from Python into JSON (exact decimals, aware timestamps), their
//! reading as the Rust SDK's types, and answers and stream items back as JSON text.

use futures_util::{Stream, StreamExt};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyMapping, PyString, PyTuple, PyType};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Number, Value};
use tokio::sync::mpsc;

/// One call's arguments by name: path, query and header parameters by their Rust SDK
/// names, the request body under `body` (by wire names).
pub(crate) struct Args(Map<String, Value>);

impl Args {
    /// The arguments of a Python dict (`None` values are left out).
    pub(crate) fn from_py(dict: &Bound<'_, PyDict>) -> PyResult<Self> {
        let mut map = Map::new();
        for (key, value) in dict.iter() {
            let key: String = key.extract()?;
            if !value.is_none() {
                let json = to_json(&value).map_err(|e| within(&key, e))?;
                map.insert(key, json);
            }
        }
        Ok(Self(map))
    }

    /// Takes the argument `name` as `T` (absent is `null`, which an `Option` reads as
    /// `None`); a value `T` refuses is [`meridian::Error::InvalidRequest`] naming it.
    pub(crate) fn take<T: DeserializeOwned>(&mut self, name: &str) -> Result<T, meridian::Error> {
        let value = self.0.remove(name).unwrap_or(Value::Null);
        serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            let at = if path == "." {
                name.to_owned()
            } else {
                format!("{name}.{path}")
            };
            meridian::Error::InvalidRequest(format!("{at}: {}", e.inner()))
        })
    }

    /// Fails on an argument no `take` asked for.
    pub(crate) fn finish(self) -> Result<(), meridian::Error> {
        match self.0.keys().next() {
            Some(name) => Err(meridian::Error::InvalidRequest(format!("unexpected argument `{name}`"))),
            None => Ok(()),
        }
    }
}

/// `value` as JSON text.
pub(crate) fn encode<T: Serialize>(value: &T) -> Result<String, meridian::Error> {
    serde_json::to_string(value).map_err(|e| meridian::Error::Decode(e.to_string()))
}

/// The error for an operationId the dispatch does not know.
pub(crate) fn unknown(operation: &str) -> meridian::Error {
    meridian::Error::InvalidRequest(format!("no operation `{operation}`"))
}

/// Where a stream's items go, as JSON text, one page fetched at a time.
pub(crate) struct Sink(pub(crate) mpsc::Sender<Result<String, meridian::Error>>);

impl Sink {
    /// Sends every item of `stream` until it ends, fails or the receiver is gone.
    pub(crate) async fn drain<T: Serialize>(
        &self,
        stream: impl Stream<Item = Result<T, meridian::Error>>,
    ) -> Result<(), meridian::Error> {
        let mut stream = std::pin::pin!(stream);
        while let Some(item) = stream.next().await {
            let text = encode(&item?)?;
            if self.0.send(Ok(text)).await.is_err() {
                break;
            }
        }
        Ok(())
    }
}

/// A Python value as JSON: `None`, booleans, integers, strings, `decimal.Decimal` (as a
/// JSON number with its exact digits), aware `datetime` and `date` (ISO 8601), enums (by
/// value), mappings and sequences. Floats are refused: amounts are exact.
fn to_json(value: &Bound<'_, PyAny>) -> PyResult<Value> {
    let py = value.py();
    if value.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(flag) = value.cast::<PyBool>() {
        return Ok(Value::Bool(flag.is_true()));
    }
    if value.is_instance_of::<PyInt>() {
        return number(&value.str()?.to_string_lossy());
    }
    if value.is_instance_of::<PyFloat>() {
        return Err(PyTypeError::new_err(
            "a float is not an exact amount: pass a decimal.Decimal, an int or a decimal string",
        ));
    }
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(Value::String(text.to_cow()?.into_owned()));
    }
    static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    static DATETIME: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    static DATE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    static ENUM: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    if value.is_instance(DECIMAL.import(py, "decimal", "Decimal")?)? {
        if !value.call_method0("is_finite")?.is_truthy()? {
            return Err(PyValueError::new_err("a decimal must be finite"));
        }
        let text = py
            .import("builtins")?
            .getattr("format")?
            .call1((value, "f"))?
            .extract::<String>()?;
        return number(&text);
    }
    if value.is_instance(DATETIME.import(py, "datetime", "datetime")?)? {
        if value.call_method0("utcoffset")?.is_none() {
            return Err(PyValueError::new_err(
                "a naive datetime has no time zone: pass an aware one (e.g. tzinfo=timezone.utc)",
            ));
        }
        return Ok(Value::String(value.call_method0("isoformat")?.extract()?));
    }
    if value.is_instance(DATE.import(py, "datetime", "date")?)? {
        return Ok(Value::String(value.call_method0("isoformat")?.extract()?));
    }
    if value.is_instance(ENUM.import(py, "enum", "Enum")?)? {
        return to_json(&value.getattr("value")?);
    }
    if let Ok(mapping) = value.cast::<PyMapping>() {
        let mut map = Map::new();
        for item in mapping.items()?.iter() {
            let (key, item): (String, Bound<'_, PyAny>) = item.extract()?;
            let json = to_json(&item).map_err(|e| within(&key, e))?;
            map.insert(key, json);
        }
        return Ok(Value::Object(map));
    }
    if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        return value
            .try_iter()?
            .map(|item| to_json(&item?))
            .collect::<PyResult<Vec<_>>>()
            .map(Value::Array);
    }
    Err(PyTypeError::new_err(format!(
        "cannot send a {} to the API",
        value.get_type().name()?
    )))
}

/// `error` (a `TypeError` or `ValueError`) with `key: ` before its message, so that the
/// message names the argument or field (`body: quoteOrderQty: a float is not …`).
fn within(key: &str, error: PyErr) -> PyErr {
    Python::attach(|py| {
        let message = error.value(py).str().map(|s| s.to_string()).unwrap_or_default();
        if error.is_instance_of::<PyValueError>(py) {
            PyValueError::new_err(format!("{key}: {message}"))
        } else if error.is_instance_of::<PyTypeError>(py) {
            PyTypeError::new_err(format!("{key}: {message}"))
        } else {
            error
        }
    })
}

/// A JSON number with exactly the digits of `text`.
fn number(text: &str) -> PyResult<Value> {
    text.parse::<Number>()
        .map(Value::Number)
        .map_err(|e| PyValueError::new_err(format!("`{text}` is not a JSON number: {e}")))
}
