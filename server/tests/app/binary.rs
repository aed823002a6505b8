//! The `meridian-server` binary as deployments run it: the `listening on http://HOST:PORT`
//! line (the real port for port 0), a clean exit on SIGTERM, `--help` naming every flag
//! and variable, and two processes on one PostgreSQL and one Redis behaving as one server:
//! one rate-limit budget, one session whichever replica a request lands on, idempotent
//! retries placing one order, and each resting order filled once by the two matchers; and
//! password hashing's memory going back to the system.

use std::process::Command;
use std::time::Duration;

use crate::process::{Process, TempDatabase, call, spawn, text};

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

/// Two server processes on a fresh PostgreSQL database and one Redis prefix, as replicas
/// behind a load balancer; the database is dropped after them.
struct Replicas {
    a: Process,
    b: Process,
    database: TempDatabase,
    rt: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

impl Replicas {
    /// Starts them with `--rate-limits rate_limits`, or `None` (the test skips) when
    /// PostgreSQL or Redis is missing and `MERIDIAN_REQUIRE_SERVICES` is not `1`.
    fn start(label: &str, rate_limits: &str) -> Option<Self> {
        let (base, redis) = (crate::process::postgres()?, crate::process::redis()?);
        let rt = crate::process::runtime();
        let database = TempDatabase::create(&rt, &base, label);
        let prefix = format!("{label}{}", std::process::id());
        let dir = tempfile::tempdir().unwrap();
        let args = [
            "--database-url",
            &database.url,
            "--redis-url",
            &redis,
            "--redis-prefix",
            &prefix,
            "--rate-limits",
            rate_limits,
        ];
        let (a, b) = (spawn(dir.path(), &args), spawn(dir.path(), &args));
        Some(Self {
            a,
            b,
            database,
            rt,
            _dir: dir,
        })
    }
}

impl Drop for Replicas {
    fn drop(&mut self) {
        // The processes stop before their database is dropped (fields drop after this).
        self.a.kill();
        self.b.kill();
    }
}

#[test]
fn two_processes_on_one_postgres_and_redis_share_one_budget() {
    let Some(replicas) = Replicas::start("procs", "on") else {
        return;
    };
    let (a, b) = (&replicas.a, &replicas.b);
    let mut allowed_in_window = 0;
    let mut window = String::new();
    let mut refused = false;
    for n in 0..250 {
        let server = if n % 2 == 0 { a } else { b };
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
    drop(replicas);
    assert!(refused, "no 429 after 250 requests");
    assert_eq!(
        allowed_in_window, 100,
        "two processes together allowed {allowed_in_window} in one window"
    );
}

/// `GET /api/users/me` on `server` with `token`: the status.
async fn me(http: &reqwest::Client, server: &Process, token: &str) -> u16 {
    call(
        http,
        server,
        reqwest::Method::GET,
        "/api/users/me",
        Some(token),
        None,
        None,
    )
    .await
    .0
}

/// `POST /api/trading/order` on `server` with an `Idempotency-Key`: (status, body).
async fn place(
    http: &reqwest::Client,
    server: &Process,
    token: &str,
    key: &str,
    order: &serde_json::Value,
) -> (u16, serde_json::Value) {
    let path = "/api/trading/order";
    call(
        http,
        server,
        reqwest::Method::POST,
        path,
        Some(token),
        Some(key),
        Some(order.clone()),
    )
    .await
}

/// Registers `email` on `on` and signs it in on `then`: (access token, refresh token).
async fn sign_up(http: &reqwest::Client, on: &Process, then: &Process, email: &str) -> (String, String) {
    let login = crate::process::sign_up(http, on, then, email, "Replica-Passw0rd!").await;
    (
        text(&login, "/tokens/access_token"),
        text(&login, "/tokens/refresh_token"),
    )
}

/// A session alternating between two server processes on one PostgreSQL database and one
/// Redis: signed up on one and in on the other, its token works on both, a refresh on one
/// rotates for both, idempotent retries landing on the other replica (one after the other,
/// then both at once) place one order, logout on one revokes on both, and resting orders
/// placed on either are filled exactly once while both processes run the matcher.
#[test]
fn two_processes_serve_one_session_and_fill_each_resting_order_once() {
    use meridian_server::domain::market::{MarketFeed, SimulatedFeed};
    use meridian_server::domain::symbols::{Asset, Symbol};
    use reqwest::Method;
    use rust_decimal::Decimal;
    use serde_json::json;

    let Some(replicas) = Replicas::start("session", "x100") else {
        return;
    };
    let (a, b, url) = (&replicas.a, &replicas.b, &replicas.database.url);
    let http = reqwest::Client::new();
    replicas.rt.block_on(async {
        let (access, refresh) = sign_up(&http, a, b, "replica-session@example.com").await;
        assert_eq!((me(&http, a, &access).await, me(&http, b, &access).await), (200, 200), "B's token on A and B");

        // Refreshed on A: the new access token works on B, the spent refresh token nowhere.
        let (status, body) = call(&http, a, Method::POST, "/api/auth/refresh", None, None, Some(json!({"refresh_token": refresh}))).await;
        assert_eq!(status, 200, "{body}");
        let access = body["tokens"]["access_token"].as_str().unwrap().to_owned();
        assert_eq!(me(&http, b, &access).await, 200, "A's refreshed token on B");

        // Idempotent retries across replicas: placed on A, retried on B; then both at once.
        let order = json!({"symbol":"BTCUSDT","side":"BUY","type":"MARKET","quoteOrderQty":"100"});
        let (first, retried) = (
            place(&http, a, &access, "replica-retry-1", &order).await,
            place(&http, b, &access, "replica-retry-1", &order).await,
        );
        assert_eq!((first.0, retried.0), (201, 201), "{} / {}", first.1, retried.1);
        assert_eq!(first.1["order"]["orderId"], retried.1["order"]["orderId"]);
        let (one, two) = tokio::join!(
            place(&http, a, &access, "replica-retry-2", &order),
            place(&http, b, &access, "replica-retry-2", &order)
        );
        assert_eq!((one.0, two.0), (201, 201), "{} / {}", one.1, two.1);
        assert_eq!(one.1["order"]["orderId"], two.1["order"]["orderId"]);
        let (status, orders) = call(&http, a, Method::GET, "/api/trading/orders", Some(&access), None, None).await;
        assert_eq!(status, 200, "{orders}");
        assert_eq!(orders["pagination"]["totalCount"], 2, "two keys, two orders: {orders}");

        // Logout on B revokes the session on both.
        let (status, _) = call(&http, b, Method::POST, "/api/auth/logout", Some(&access), None, None).await;
        assert_eq!(status, 200);
        assert_eq!((me(&http, a, &access).await, me(&http, b, &access).await), (401, 401), "logged out on B");

        // Resting orders and two matchers on the real clock. The feed is deterministic, so the
        // test knows the market: within each minute the price moves one way, so a window
        // opening 5 s after the set-up soon either dips below everything before it (a buy
        // limit at its low rests until then) or rises above it (a sell limit at its high).
        let (trader, _) = sign_up(&http, b, a, "replica-matcher@example.com").await;
        let db = meridian_server::db::Db::connect(
            &meridian_server::db::DatabaseUrl::parse(url).unwrap(),
            &meridian_server::db::PoolOptions { max_size: 1, timeout: Duration::from_secs(10) },
        )
        .await
        .unwrap();
        let mut conn = db.conn().await.unwrap();
        let user = meridian_server::db::users::find_by_email(&mut conn, "replica-matcher@example.com").await.unwrap();
        // ETH to sell, should the market rise.
        let buy = json!({"symbol":"ETHUSDT","side":"BUY","type":"MARKET","quoteOrderQty":"1000"});
        let (status, body) = call(&http, a, Method::POST, "/api/trading/order", Some(&trader), None, Some(buy)).await;
        assert_eq!(status, 201, "ETH to sell: {body}");
        let wallet = meridian_server::db::trading::wallet;
        let funded = wallet(&mut conn, &user.id).await.unwrap();

        let feed = SimulatedFeed::new();
        let now = chrono::Utc::now().timestamp_millis();
        let start = now + 5_000;
        let (low_before, high_before) = feed.extremes(Symbol::Eth, now, start);
        let (side, limit, end) = (1..=120)
            .find_map(|seconds| {
                let end = start + seconds * 1_000;
                let (low, high) = feed.extremes(Symbol::Eth, start, end);
                (low < low_before)
                    .then_some(("BUY", low, end))
                    .or((high > high_before).then_some(("SELL", high, end)))
            })
            .expect("ETH moves within two minutes");
        let spent = if side == "BUY" { Asset::Usdt } else { Asset::Base(Symbol::Eth) };
        let before = funded.balance(spent);
        let resting = json!({"symbol":"ETHUSDT","side":side,"type":"LIMIT","quantity":"0.01","price":limit.to_string(),"timeInForce":"GTC"});
        let mut ids = Vec::new();
        for n in 0..10 {
            let replica = if n % 2 == 0 { a } else { b };
            let path = "/api/trading/order";
            let (status, body) = call(&http, replica, Method::POST, path, Some(&trader), None, Some(resting.clone())).await;
            assert_eq!(status, 201, "{body}");
            assert_eq!(body["order"]["status"], "NEW", "placed before the window: {body}");
            ids.push(body["order"]["orderId"].as_i64().unwrap());
        }
        assert!(chrono::Utc::now().timestamp_millis() < start, "placed before the window opened");

        // Straight from the database (an API read would match by itself): wait for the two
        // matchers' sweeps to fill every order, up to 30 s past the window's end.
        let deadline = std::time::Instant::now() + Duration::from_millis((end - now) as u64) + Duration::from_secs(30);
        loop {
            let mut filled = 0;
            for id in &ids {
                let order = meridian_server::db::trading::find_order(&mut conn, &user.id, *id).await.unwrap();
                filled += usize::from(order.status == "FILLED");
            }
            if filled == ids.len() {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "{filled} of {} filled by the deadline", ids.len());
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let trades = meridian_server::db::trading::all_trades(&mut conn, &user.id).await.unwrap();
        let fills: Vec<_> = trades.iter().filter(|t| ids.contains(&t.order_id)).collect();
        assert_eq!(fills.len(), ids.len(), "one fill per order, whichever matcher got there");
        assert!(fills.iter().all(|t| t.is_maker && t.price == limit.normalize().to_string()));
        let after = wallet(&mut conn, &user.id).await.unwrap().balance(spent);
        assert_eq!(after.locked, Decimal::ZERO);
        let once = if side == "BUY" { limit / Decimal::from(10) } else { Decimal::new(1, 1) };
        assert_eq!(before.free - after.free, once, "10 × 0.01 ETH ({side} at {limit}) paid once");
    });
}

/// The resident memory of process `pid` in MiB (Linux).
fn rss_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kib / 1024
}

// Found by the soak (bench/soak): each registration left argon2id's 19 MiB block resident
// (glibc kept it in a thread's arena), 350 MiB after 40 users.
#[test]
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn password_hashing_memory_goes_back_to_the_system() {
    let dir = tempfile::tempdir().unwrap();
    let server = spawn(dir.path(), &["--rate-limits", "off"]);
    let rt = crate::process::runtime();
    let http = reqwest::Client::new();
    let before = rss_mib(server.child.id());
    rt.block_on(async {
        for n in 0..16 {
            let credentials =
                serde_json::json!({"email": format!("rss-{n}@example.com"), "password": "Memory-Passw0rd!"});
            let (status, body) = call(
                &http,
                &server,
                reqwest::Method::POST,
                "/api/auth/register",
                None,
                None,
                Some(credentials),
            )
            .await;
            assert_eq!(status, 201, "{body}");
        }
    });
    let after = rss_mib(server.child.id());
    // 16 hashes kept would be over 100 MiB more; returned, the growth is a few MiB.
    assert!(
        after < before + 60,
        "RSS grew from {before} to {after} MiB over 16 registrations"
    );
}
