//! The `meridian-server` binary as a child process for the multi-process, crash and outage
//! tests: start it and wait for its `listening on` line, keep its log, kill it (`SIGKILL`,
//! like a crash), talk JSON to it, and give it a fresh PostgreSQL database of its own.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

/// The JWT secret every test process signs with.
pub const JWT_SECRET: &str = "binary-tests-signing-secret-0123456789abcdef";

/// A server process; killed if the test ends without stopping it.
pub struct Process {
    /// The child process.
    pub child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

impl Process {
    /// Kills the process with `SIGKILL` (no shutdown code runs: a crash) and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Whether a line of the process' log (stderr) so far contains `needle`.
    pub fn logged(&self, needle: &str) -> bool {
        self.log.lock().unwrap().iter().any(|line| line.contains(needle))
    }

    /// The log so far, for failure messages.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }
}

/// Starts the binary with `args` in `dir` (no inherited database or Redis variables) and
/// waits for its `listening on` line; its stderr is kept (see [`Process::logged`]) and
/// echoed to the test's output.
pub fn spawn(dir: &std::path::Path, args: &[&str]) -> Process {
    let mut child = Command::new(env!("CARGO_BIN_EXE_meridian-server"))
        .args(["--bind", "127.0.0.1:0", "--jwt-secret", JWT_SECRET])
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
        .env("RUST_LOG", "warn")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the server binary starts");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let log = Arc::new(Mutex::new(Vec::new()));
    let stderr = child.stderr.take().unwrap();
    let sink = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            eprintln!("[server] {line}");
            sink.lock().unwrap().push(line);
        }
    });
    let first = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("a `listening on` line within 30 s");
    let url = first
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"));
    assert!(url.starts_with("http://127.0.0.1:") && !url.ends_with(":0"), "{url}");
    Process {
        url: url.to_owned(),
        child,
        log,
    }
}

/// `TEST_DATABASE_URL`, or `None` (the test skips) when it is missing and
/// `MERIDIAN_REQUIRE_SERVICES` is not `1`.
pub fn postgres() -> Option<String> {
    service("TEST_DATABASE_URL")
}

/// `REDIS_URL`, or `None` as for [`postgres`].
pub fn redis() -> Option<String> {
    service("REDIS_URL")
}

fn service(variable: &str) -> Option<String> {
    match std::env::var(variable) {
        Ok(value) if !value.is_empty() => Some(value),
        _ => {
            let required = std::env::var("MERIDIAN_REQUIRE_SERVICES").is_ok_and(|v| v == "1");
            assert!(!required, "MERIDIAN_REQUIRE_SERVICES=1 but {variable} is missing");
            eprintln!("skipped: {variable} not set");
            None
        }
    }
}

/// A fresh PostgreSQL database on the server of `TEST_DATABASE_URL`, dropped on drop.
pub struct TempDatabase {
    /// Its URL.
    pub url: String,
    base: String,
    name: String,
}

impl TempDatabase {
    /// Creates `meridian_<label>_<pid>` on the server of `base`.
    pub fn create(rt: &tokio::runtime::Runtime, base: &str, label: &str) -> Self {
        let name = format!("meridian_{label}_{:x}", std::process::id());
        let url = rt
            .block_on(meridian_server::db::admin::create_database(base, &name))
            .unwrap();
        Self {
            url,
            base: base.to_owned(),
            name,
        }
    }
}

impl Drop for TempDatabase {
    fn drop(&mut self) {
        let (base, name) = (self.base.clone(), self.name.clone());
        // Its own runtime on its own thread: drop may run inside another runtime's context.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(meridian_server::db::admin::drop_database(&base, &name))
        })
        .join();
        if !matches!(dropped, Ok(Ok(_))) {
            eprintln!("dropping {}: {dropped:?}", self.name);
        }
    }
}

/// A multi-threaded runtime for a test's asynchronous clients.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// One JSON request to `base` (a server's URL): (status, body), or the transport error.
pub async fn try_call(
    http: &reqwest::Client,
    base: &str,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    key: Option<&str>,
    body: Option<&serde_json::Value>,
) -> Result<(u16, serde_json::Value), reqwest::Error> {
    let mut request = http.request(method, format!("{base}{path}"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    Ok((status, response.json().await.unwrap_or(serde_json::Value::Null)))
}

/// [`try_call`] on a server that must answer.
pub async fn call(
    http: &reqwest::Client,
    server: &Process,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    key: Option<&str>,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    try_call(http, &server.url, method, path, token, key, body.as_ref())
        .await
        .expect("the server answers")
}

/// Registers `email` with `password` on `on` and signs it in on `then` (the same process, or
/// another replica): the login's answer (`user`, `tokens`).
pub async fn sign_up(
    http: &reqwest::Client,
    on: &Process,
    then: &Process,
    email: &str,
    password: &str,
) -> serde_json::Value {
    use reqwest::Method;
    let credentials = serde_json::json!({"email": email, "password": password});
    let path = "/api/auth/register";
    let (status, body) = call(http, on, Method::POST, path, None, None, Some(credentials.clone())).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = call(
        http,
        then,
        Method::POST,
        "/api/auth/login",
        None,
        None,
        Some(credentials),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// A string member of a JSON answer, e.g. `text(&login, "/tokens/access_token")`.
pub fn text(value: &serde_json::Value, pointer: &str) -> String {
    value
        .pointer(pointer)
        .and_then(serde_json::Value::as_str)
        .unwrap_or_else(|| panic!("no {pointer} in {value}"))
        .to_owned()
}
