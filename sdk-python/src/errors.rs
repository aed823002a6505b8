//! The Rust SDK's errors as the Python exceptions of `meridian._errors`.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

/// A Rust SDK error on its way to Python.
pub(crate) struct SdkError(pub(crate) meridian::Error);

impl From<meridian::Error> for SdkError {
    fn from(error: meridian::Error) -> Self {
        Self(error)
    }
}

impl From<SdkError> for PyErr {
    fn from(SdkError(error): SdkError) -> Self {
        Python::attach(|py| match exception(py, &error) {
            Ok(instance) => PyErr::from_value(instance),
            Err(failed) => failed,
        })
    }
}

/// `meridian._errors._from_core(kind, message, status, body_json, request_id, retry_after)`.
fn exception<'py>(py: Python<'py>, error: &meridian::Error) -> PyResult<Bound<'py, PyAny>> {
    static FACTORY: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let factory = FACTORY.import(py, "meridian._errors", "_from_core")?;
    let kind = match error {
        meridian::Error::Api { .. } | meridian::Error::Unexpected { .. } => "api",
        meridian::Error::Timeout(_) => "timeout",
        meridian::Error::Transport(_) => "transport",
        meridian::Error::Decode(_) => "decode",
        meridian::Error::InvalidRequest(_) => "invalid_request",
        meridian::Error::ClientCredentials(_) => "client_credentials",
        // The Python bindings sign in with `login_with`, which answers with the 2FA request
        // instead of failing; nothing else raises this.
        meridian::Error::TwoFactorRequired(_) => "two_factor_required",
    };
    let body = match error {
        meridian::Error::Api { body, .. } => serde_json::to_string(body).ok(),
        _ => None,
    };
    let request_id = error.request_id().map(str::to_owned);
    factory.call1((
        kind,
        error.to_string(),
        error.status(),
        body,
        request_id,
        error.retry_after(),
    ))
}
