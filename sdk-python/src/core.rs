//! [`Core`]: a Rust SDK client behind Python's `meridian.Client` and `meridian.AsyncClient`,
//! and [`Pages`], the items of a `…_iter` call as they arrive.

use std::sync::Arc;
use std::time::Duration;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use tokio::sync::{Mutex, mpsc};

use crate::args::{Args, Sink};
use crate::errors::SdkError;
use crate::operations;

/// The Tokio runtime every call runs on (pyo3-async-runtimes' own, shared with asyncio
/// awaitables).
fn runtime() -> &'static tokio::runtime::Runtime {
    pyo3_async_runtimes::tokio::get_runtime()
}

/// One Rust SDK client: its connection pool, credentials and retry policy.
#[pyclass(frozen, module = "meridian._meridian")]
pub(crate) struct Core {
    client: meridian::Client,
}

#[pymethods]
impl Core {
    /// A client of the server at `base_url`.
    #[new]
    #[pyo3(signature = (base_url, *, timeout, max_retries, token=None, client_id=None, client_secret=None, scopes=None, page_size=100, user_agent=None))]
    #[allow(clippy::too_many_arguments, reason = "the keyword arguments of meridian.Client")]
    fn new(
        base_url: String,
        timeout: f64,
        max_retries: u32,
        token: Option<String>,
        client_id: Option<String>,
        client_secret: Option<String>,
        scopes: Option<Vec<String>>,
        page_size: u64,
        user_agent: Option<String>,
    ) -> PyResult<Self> {
        if !(timeout.is_finite() && timeout > 0.0) {
            return Err(PyValueError::new_err("timeout must be a positive number of seconds"));
        }
        if page_size == 0 {
            return Err(PyValueError::new_err("page_size must be at least 1"));
        }
        let mut builder = meridian::Client::builder(base_url)
            .timeout(Duration::from_secs_f64(timeout))
            .retry_policy(meridian::RetryPolicy::default().max_retries(max_retries))
            .page_size(page_size)
            .user_agent(
                user_agent.unwrap_or_else(|| concat!("meridian-python/", env!("CARGO_PKG_VERSION")).to_owned()),
            );
        if let Some(token) = token {
            builder = builder.token(token);
        }
        match (client_id, client_secret) {
            (Some(id), Some(secret)) => builder = builder.client_credentials(id, secret, scopes.unwrap_or_default()),
            (None, None) => {}
            _ => return Err(PyValueError::new_err("client_id and client_secret go together")),
        }
        // Building the HTTP client needs a Tokio context (reqwest's connector).
        let _entered = runtime().enter();
        let client = builder.build().map_err(SdkError)?;
        Ok(Self { client })
    }

    /// The server's base URL.
    #[getter]
    fn base_url(&self) -> &str {
        self.client.base_url()
    }

    /// Requests sent over the network so far.
    #[getter]
    fn attempts(&self) -> u64 {
        self.client.attempts()
    }

    /// Calls `operation` with `args`, blocking (the GIL released) until the answer; the
    /// response body as JSON text.
    fn call(&self, py: Python<'_>, operation: &str, args: &Bound<'_, PyDict>) -> PyResult<String> {
        let args = Args::from_py(args)?;
        let client = &self.client;
        py.detach(|| runtime().block_on(operations::call(client, operation, args)))
            .map_err(|e| SdkError(e).into())
    }

    /// Calls `operation` with `args` as an asyncio awaitable answering with JSON text.
    fn call_async<'py>(
        &self,
        py: Python<'py>,
        operation: String,
        args: &Bound<'py, PyDict>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let args = Args::from_py(args)?;
        let client = self.client.clone();
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            operations::call(&client, &operation, args)
                .await
                .map_err(|e| SdkError(e).into())
        })
    }

    /// Every item of `operation`'s pages, fetched one page at a time as they are read.
    fn pages(&self, operation: String, args: &Bound<'_, PyDict>) -> PyResult<Pages> {
        let args = Args::from_py(args)?;
        let client = self.client.clone();
        // One item of look-ahead: the next page is fetched only when its first item is due.
        let (sender, receiver) = mpsc::channel(1);
        runtime().spawn(async move {
            let sink = Sink(sender);
            if let Err(error) = operations::stream(client, &operation, args, &sink).await {
                let _ = sink.0.send(Err(error)).await;
            }
        });
        Ok(Pages {
            receiver: Arc::new(Mutex::new(receiver)),
        })
    }

    /// Uses a session whose tokens the caller kept.
    fn resume_session(&self, py: Python<'_>, access_token: String, refresh_token: String) {
        let client = &self.client;
        py.detach(|| runtime().block_on(client.resume_session(access_token, refresh_token)));
    }
}

/// The items of one `…_iter` call, as JSON text, `None` after the last.
#[pyclass(frozen, module = "meridian._meridian")]
pub(crate) struct Pages {
    receiver: Arc<Mutex<mpsc::Receiver<Result<String, meridian::Error>>>>,
}

#[pymethods]
impl Pages {
    /// The next item, blocking (the GIL released); `None` at the end.
    fn next(&self, py: Python<'_>) -> PyResult<Option<String>> {
        let receiver = &self.receiver;
        py.detach(|| runtime().block_on(async { receiver.lock().await.recv().await }))
            .transpose()
            .map_err(|e| SdkError(e).into())
    }

    /// The next item as an asyncio awaitable; `None` at the end.
    fn next_async<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let receiver = Arc::clone(&self.receiver);
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            let item = receiver.lock().await.recv().await;
            item.transpose().map_err(|e| SdkError(e).into())
        })
    }
}
