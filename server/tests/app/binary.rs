//! The `meridian-server` binary as deployments run it: the `listening on http://HOST:PORT`
//! line (the real port for port 0), a clean exit on SIGTERM, `--help` naming every flag
//! and variable, and two processes on one PostgreSQL and one Redis sharing one budget.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A server process; killed if the test ends without stopping it.
struct Process {
    child: Child,
    url: String,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary with `args` in `dir` (no inherited database or Redis variables) and
/// waits for its `listening on` line.
fn spawn(dir: &std::path::Path, args: &[&str]) -> Process {
    let mut child = Command::new(env!("CARGO_BIN_EXE_meridian-server"))
        .args([
            "--bind",
            "127.0.0.1:0",
            "--jwt-secret",
            "binary-tests-signing-secret-0123456789abcdef",
        ])
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the server binary starts");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
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
    }
}

/// A blocking GET returning status and headers (std only: one request per connection).
fn get(url: &str, path: &str) -> (u16, Vec<(String, String)>, String) {
    use std::io::{Read, Write};
    let addr = url.strip_prefix("http://").unwrap();
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status, headers, body.to_owned())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {name}"))
}

#[test]
fn prints_its_address_serves_and_exits_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = spawn(dir.path(), &[]);
    let (status, headers, body) = get(&server.url, "/api/health");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"status\":\"healthy\""), "{body}");
    assert!(!header(&headers, "x-request-id").is_empty());
    // The default database is ./data/meridian.db, created on start.
    assert!(dir.path().join("data/meridian.db").exists());
    let pid = server.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(exit) = server.child.try_wait().unwrap() {
            assert!(exit.success(), "exit status {exit:?}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "still running 15 s after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn help_documents_every_flag_and_variable() {
    let out = Command::new(env!("CARGO_BIN_EXE_meridian-server"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for name in [
        "--bind",
        "MERIDIAN_BIND",
        "--database-url",
        "DATABASE_URL",
        "--redis-url",
        "REDIS_URL",
        "--rate-limits",
        "MERIDIAN_RATE_LIMITS",
        "--mailer",
        "MERIDIAN_MAILER",
        "--jwt-secret",
        "MERIDIAN_JWT_SECRET",
        "--log-format",
        "--cors-origins",
        "127.0.0.1:8080",
    ] {
        assert!(help.contains(name), "--help does not mention {name}:\n{help}");
    }
}

#[test]
fn a_bad_flag_value_is_refused_before_starting() {
    let out = Command::new(env!("CARGO_BIN_EXE_meridian-server"))
        .args(["--rate-limits", "sometimes"])
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("rate-limits"));
}

#[test]
fn two_processes_on_one_postgres_and_redis_share_one_budget() {
    let (Ok(base), Ok(redis)) = (std::env::var("TEST_DATABASE_URL"), std::env::var("REDIS_URL")) else {
        let required = std::env::var("MERIDIAN_REQUIRE_SERVICES").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "MERIDIAN_REQUIRE_SERVICES=1 but TEST_DATABASE_URL or REDIS_URL is missing"
        );
        eprintln!("skipped: TEST_DATABASE_URL or REDIS_URL not set");
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let name = format!("meridian_proc_{:x}", std::process::id());
    let url = rt
        .block_on(meridian_server::db::admin::create_database(&base, &name))
        .unwrap();
    let prefix = format!("procs{}", std::process::id());
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--database-url",
        &url,
        "--redis-url",
        &redis,
        "--redis-prefix",
        &prefix,
        "--rate-limits",
        "on",
    ];
    let (a, b) = (spawn(dir.path(), &args), spawn(dir.path(), &args));
    let mut allowed_in_window = 0;
    let mut window = String::new();
    let mut refused = false;
    for n in 0..250 {
        let server = if n % 2 == 0 { &a } else { &b };
        let (status, headers, body) = get(&server.url, "/api/health");
        match status {
            200 => {
                let reset = header(&headers, "x-ratelimit-reset").to_owned();
                if reset != window {
                    (window, allowed_in_window) = (reset, 0);
                }
                allowed_in_window += 1;
            }
            429 => {
                assert!(!header(&headers, "retry-after").is_empty());
                refused = true;
                break;
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    drop((a, b));
    rt.block_on(meridian_server::db::admin::drop_database(&base, &name))
        .unwrap();
    assert!(refused, "no 429 after 250 requests");
    assert_eq!(
        allowed_in_window, 100,
        "two processes together allowed {allowed_in_window} in one window"
    );
}
