//! How every request of the SDK is sent: the bearer token (refreshed before it expires and
//! once on a 401 whose `WWW-Authenticate` says `error="invalid_token"`), retries with
//! exponential backoff and full jitter that honour `Retry-After`, and automatic
//! `Idempotency-Key`s. The generated client holds a [`Runtime`]
//! and calls it through progenitor's `ClientHooks::exec`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::{AUTHORIZATION, HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use reqwest::{Method, StatusCode};
use tokio::sync::Mutex;

use crate::error::Error;
use crate::generated::Client as GeneratedClient;

/// Operations the SDK gives an `Idempotency-Key` when the caller did not, so that retrying
/// them is safe (the server returns the first answer to a retry).
const AUTO_KEYED: &[&str] = &["place_order", "apply_for_loan", "make_loan_payment"];

/// How failed requests are retried: on 429, 502, 503 and 504 and on connection failures,
/// for idempotent requests (GET, HEAD, PUT, DELETE, OPTIONS) and requests that carry an
/// `Idempotency-Key`, with exponential backoff and full jitter, or after `Retry-After`.
///
/// ```
/// use std::time::Duration;
/// let policy = meridian::RetryPolicy::default().max_retries(5).base_delay(Duration::from_millis(100));
/// assert_eq!(policy.retries(), 5);
/// assert_eq!(meridian::RetryPolicy::none().retries(), 0);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: u32,
    base_delay: Duration,
    max_delay: Duration,
    max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// Three retries, backoff from 200 ms up to 10 s, `Retry-After` honoured up to 60 s.
    fn default() -> Self {
        Self {
            max_retries: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    ///
    /// ```
    /// assert_eq!(meridian::RetryPolicy::none().retries(), 0);
    /// ```
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// Retries after the first attempt.
    ///
    /// ```
    /// assert_eq!(meridian::RetryPolicy::default().max_retries(1).retries(), 1);
    /// ```
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// The first backoff's upper bound (doubling with each retry).
    ///
    /// ```
    /// use std::time::Duration;
    /// let policy = meridian::RetryPolicy::default().base_delay(Duration::from_millis(50));
    /// assert!(policy.backoff(0) <= Duration::from_millis(50));
    /// ```
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// The largest backoff.
    ///
    /// ```
    /// use std::time::Duration;
    /// let policy = meridian::RetryPolicy::default().max_delay(Duration::from_secs(1));
    /// assert!(policy.backoff(30) <= Duration::from_secs(1));
    /// ```
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// The longest `Retry-After` the SDK waits for; a longer one ends the retries and
    /// returns the error (with its `retry_after`) to the caller.
    ///
    /// ```
    /// use std::time::Duration;
    /// let policy = meridian::RetryPolicy::default().max_retry_after(Duration::from_secs(5));
    /// assert_eq!(policy.retries(), 3);
    /// ```
    pub fn max_retry_after(mut self, wait: Duration) -> Self {
        self.max_retry_after = wait;
        self
    }

    /// How many retries this policy allows.
    ///
    /// ```
    /// assert_eq!(meridian::RetryPolicy::default().retries(), 3);
    /// ```
    pub fn retries(&self) -> u32 {
        self.max_retries
    }

    /// The wait before retry number `retry` (from 0): uniformly random in
    /// `[0, min(max_delay, base_delay × 2^retry)]` ("full jitter").
    ///
    /// ```
    /// use std::time::Duration;
    /// let policy = meridian::RetryPolicy::default();
    /// for retry in 0..10 {
    ///     assert!(policy.backoff(retry) <= Duration::from_secs(10));
    /// }
    /// ```
    pub fn backoff(&self, retry: u32) -> Duration {
        let cap = self
            .base_delay
            .saturating_mul(1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX))
            .min(self.max_delay);
        cap.mul_f64(jitter())
    }
}

/// A uniform random number in [0, 1) (std's randomly keyed hasher, no extra dependency).
fn jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// The tokens of a signed-in session.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub(crate) access_token: String,
    pub(crate) refresh_token: String,
    /// When to refresh (a little before the access token expires).
    pub(crate) refresh_at: Instant,
}

/// Whose requests these are.
#[derive(Debug, Clone, Default)]
pub(crate) enum Credentials {
    /// Anonymous (public operations, login).
    #[default]
    None,
    /// A token the caller manages.
    Token(String),
    /// A login session the SDK refreshes.
    Session(Session),
    /// A client key whose client tokens the SDK obtains and renews.
    Client(crate::client_credentials::ClientGrant),
}

/// The shared state behind a [`Runtime`].
#[derive(Debug)]
struct Shared {
    retry: RetryPolicy,
    credentials: Mutex<Credentials>,
    attempts: AtomicU64,
}

/// What the generated client runs requests through (its progenitor "inner" value): the
/// credentials, the retry policy and a count of attempts. Cheap to clone; clones share
/// everything, so a [`crate::Client`] can be shared across tasks.
///
/// ```
/// let client = meridian::Client::new("http://127.0.0.1:8080").unwrap();
/// let runtime: &meridian::Runtime = meridian::ClientInfo::inner(client.api());
/// assert_eq!(runtime.attempts(), client.attempts());
/// ```
#[derive(Debug, Clone)]
pub struct Runtime {
    shared: Arc<Shared>,
}

impl Default for Runtime {
    /// Sends every request once, as given (no credentials, no retries): what a bare
    /// [`crate::GeneratedClient`] gets. [`crate::Client`] builds one with its settings.
    ///
    /// ```
    /// let runtime = meridian::Runtime::default();
    /// let api = meridian::GeneratedClient::new("http://127.0.0.1:8080", runtime.clone());
    /// assert_eq!(runtime.attempts(), 0);
    /// # let _ = api;
    /// ```
    fn default() -> Self {
        Self::new(RetryPolicy::none(), Credentials::None)
    }
}

impl Runtime {
    /// A runtime with `retry` and no credentials.
    pub(crate) fn new(retry: RetryPolicy, credentials: Credentials) -> Self {
        Self {
            shared: Arc::new(Shared {
                retry,
                credentials: Mutex::new(credentials),
                attempts: AtomicU64::new(0),
            }),
        }
    }

    /// Requests sent over the network so far, retries and refreshes included.
    ///
    /// ```
    /// assert_eq!(meridian::Runtime::default().attempts(), 0);
    /// ```
    pub fn attempts(&self) -> u64 {
        self.shared.attempts.load(Ordering::Relaxed)
    }

    /// Replaces the credentials (after a login or logout).
    pub(crate) async fn set_credentials(&self, credentials: Credentials) {
        *self.shared.credentials.lock().await = credentials;
    }

    /// The bearer token to send now, refreshing a session first when it is about to expire
    /// (or when `force`d after a 401). One refresh at a time: concurrent requests wait for it
    /// and use its result.
    ///
    /// `Err` is a refused client-credentials grant (deleted key, wrong secret, a scope the
    /// key lacks): the request then goes out without a token, and a 401 it gets is that
    /// failure ([`grant_refused`]).
    async fn bearer(
        &self,
        client: &reqwest::Client,
        baseurl: &str,
        force: Option<&str>,
    ) -> Result<Option<String>, Error> {
        let mut credentials = self.shared.credentials.lock().await;
        Ok(match &mut *credentials {
            Credentials::None => None,
            Credentials::Token(token) => Some(token.clone()),
            Credentials::Client(grant) => {
                self.shared
                    .attempts
                    .fetch_add(u64::from(grant.needs_token(force)), Ordering::Relaxed);
                Some(grant.token(client, baseurl, force).await?)
            }
            Credentials::Session(session) => {
                // After a 401 with token T, refresh unless another request already did.
                let stale = force.is_some_and(|sent| sent == session.access_token);
                if stale || Instant::now() >= session.refresh_at {
                    self.shared.attempts.fetch_add(1, Ordering::Relaxed);
                    match crate::client::refresh(client, baseurl, &session.refresh_token).await {
                        Ok(fresh) => *session = fresh,
                        // A refused refresh (reused or revoked token) ends the session: the
                        // request goes out unauthenticated and its 401 reaches the caller.
                        Err(_) => {
                            *credentials = Credentials::None;
                            return Ok(None);
                        }
                    }
                }
                match &*credentials {
                    Credentials::Session(session) => Some(session.access_token.clone()),
                    _ => None,
                }
            }
        })
    }

    /// Whether a 401 may be cured by refreshing (a session) or renewing (a client token).
    async fn refreshable(&self) -> bool {
        matches!(
            *self.shared.credentials.lock().await,
            Credentials::Session(_) | Credentials::Client(_)
        )
    }
}

/// Whether a 401 refuses the bearer token itself (RFC 6750 `error="invalid_token"`: expired,
/// revoked, malformed), which a refreshed token may cure; a wrong password or code is not.
fn token_refused(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .any(|value| value.to_str().is_ok_and(|v| v.contains("error=\"invalid_token\"")))
}

/// The header that marks [`grant_refused`]'s answer; its value is the grant's failure.
pub(crate) const GRANT_REFUSED: &str = "x-meridian-sdk-grant-refused";

/// The answer given in place of a 401 that a refused client-credentials grant caused: a
/// 401 carrying the failure in [`GRANT_REFUSED`], which [`Error`]'s conversions turn into
/// [`Error::ClientCredentials`].
fn grant_refused(error: &Error) -> reqwest::Response {
    let what = match error {
        Error::ClientCredentials(what) => what.clone(),
        other => other.to_string(),
    };
    let printable: String = what
        .chars()
        .map(|c| if c.is_ascii_graphic() { c } else { ' ' })
        .collect();
    let body = serde_json::json!({
        "success": false,
        "error": "invalid_client",
        "message": what,
        "request_id": "",
    });
    let mut response = http::Response::new(body.to_string());
    *response.status_mut() = StatusCode::UNAUTHORIZED;
    let headers = response.headers_mut();
    headers.insert(
        reqwest::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(value) = HeaderValue::from_str(&printable) {
        headers.insert(GRANT_REFUSED, value);
    }
    reqwest::Response::from(response)
}

/// Whether a request may be sent again without acting twice.
fn replayable(request: &reqwest::Request) -> bool {
    matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
    ) || request.headers().contains_key("idempotency-key")
}

/// Statuses worth retrying.
fn transient(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 502 | 503 | 504)
}

/// `Retry-After` in seconds, if the response has one.
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    response
        .headers()
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

impl ClientHooks<Runtime> for GeneratedClient {
    async fn exec(&self, mut request: reqwest::Request, info: &OperationInfo) -> reqwest::Result<reqwest::Response> {
        let runtime = self.inner();
        if AUTO_KEYED.contains(&info.operation_id) && !request.headers().contains_key("idempotency-key") {
            let key = format!("meridian-sdk-{:016x}{:016x}", jitter().to_bits(), jitter().to_bits());
            if let Ok(value) = HeaderValue::from_str(&key) {
                request.headers_mut().insert("idempotency-key", value);
            }
        }
        let caller_auth = request.headers().contains_key(AUTHORIZATION);
        let retry = runtime.shared.retry.clone();
        let mut retries = 0;
        let mut refreshed = false;
        let mut rejected_token: Option<String> = None;
        loop {
            let Some(mut attempt) = request.try_clone() else {
                // A streaming body cannot be replayed: send it once.
                runtime.shared.attempts.fetch_add(1, Ordering::Relaxed);
                return self.client().execute(request).await;
            };
            let mut sent_token = None;
            let mut grant_error = None;
            if !caller_auth {
                match runtime
                    .bearer(self.client(), self.baseurl(), rejected_token.take().as_deref())
                    .await
                {
                    Ok(Some(token)) => {
                        if let Ok(value) = HeaderValue::from_str(&format!("Bearer {token}")) {
                            attempt.headers_mut().insert(AUTHORIZATION, value);
                            sent_token = Some(token);
                        }
                    }
                    Ok(None) => {}
                    Err(error) => grant_error = Some(error),
                }
            }
            runtime.shared.attempts.fetch_add(1, Ordering::Relaxed);
            let result = self.client().execute(attempt).await;
            let wait = match &result {
                Ok(response) if response.status() == StatusCode::UNAUTHORIZED => {
                    if let Some(error) = grant_error {
                        return Ok(grant_refused(&error));
                    }
                    // Once per call, when the server refused the token itself (not a
                    // password or code): refresh the session and send again.
                    if !refreshed
                        && token_refused(response)
                        && let Some(token) = sent_token
                        && runtime.refreshable().await
                    {
                        refreshed = true;
                        rejected_token = Some(token);
                        continue;
                    }
                    return result;
                }
                Ok(response) if transient(response.status()) && replayable(&request) => match retry_after(response) {
                    Some(after) if after > retry.max_retry_after => return result,
                    Some(after) => after,
                    None => retry.backoff(retries),
                },
                Err(error) if (error.is_connect() || error.is_timeout()) && replayable(&request) => {
                    retry.backoff(retries)
                }
                _ => return result,
            };
            if retries >= retry.max_retries {
                return result;
            }
            retries += 1;
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_full_jitter_under_a_doubling_cap() {
        let policy = RetryPolicy::default()
            .base_delay(Duration::from_millis(100))
            .max_delay(Duration::from_secs(1));
        for retry in 0..40 {
            let cap = Duration::from_millis(100 * 2u64.saturating_pow(retry)).min(Duration::from_secs(1));
            for _ in 0..50 {
                assert!(policy.backoff(retry) <= cap, "retry {retry}");
            }
        }
        // Full jitter: not always the cap.
        let waits: Vec<Duration> = (0..50).map(|_| policy.backoff(3)).collect();
        assert!(waits.iter().any(|w| *w < Duration::from_millis(700)), "{waits:?}");
    }

    #[test]
    fn only_replayable_requests_are_retried() {
        let request = |method: Method| reqwest::Request::new(method, "http://x/".parse().unwrap());
        assert!(replayable(&request(Method::GET)));
        assert!(replayable(&request(Method::DELETE)));
        assert!(!replayable(&request(Method::POST)));
        let mut keyed = request(Method::POST);
        keyed
            .headers_mut()
            .insert("idempotency-key", HeaderValue::from_static("k"));
        assert!(replayable(&keyed));
        assert!(transient(StatusCode::TOO_MANY_REQUESTS));
        assert!(transient(StatusCode::SERVICE_UNAVAILABLE));
        assert!(!transient(StatusCode::INTERNAL_SERVER_ERROR));
        assert!(!transient(StatusCode::BAD_REQUEST));
    }
}
