//! Outages of PostgreSQL and Redis while the server process runs: requests that need the
//! database fail fast with 503 in the error shape and `/api/health` says `degraded`, Redis
//! going away only moves rate limiting in process, and both recover without a restart.
//!
//! The dependency goes away behind a [`FaultProxy`]; for PostgreSQL its sessions are also
//! terminated first, as `pg_ctl stop` does, so the server sees both what a stopping server
//! sends (`FATAL: terminating connection due to administrator command`) and then refusals.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use reqwest::Method;
use serde_json::{Value, json};

use crate::fault_proxy::{FaultProxy, Mode};
use crate::process::{Process, TempDatabase, call, runtime, spawn, text};

/// The database timeout the servers here run with (`--db-timeout-secs`).
const DB_TIMEOUT_SECS: u64 = 1;

/// The host and port of a `scheme://[user@]host[:port]/…` URL.
async fn upstream(url: &str, default_port: u16) -> SocketAddr {
    let parsed = reqwest::Url::parse(url).unwrap();
    let host = parsed.host_str().unwrap().to_owned();
    let port = parsed.port().unwrap_or(default_port);
    tokio::net::lookup_host((host.as_str(), port))
        .await
        .unwrap()
        .next()
        .unwrap()
}

/// `url` with its host and port replaced by `addr`.
fn through(url: &str, addr: SocketAddr) -> String {
    let mut parsed = reqwest::Url::parse(url).unwrap();
    parsed.set_host(Some(&addr.ip().to_string())).unwrap();
    parsed.set_port(Some(addr.port())).unwrap();
    parsed.to_string()
}

/// Polls `check` every 50 ms until it holds, failing after `within`.
async fn eventually<F, Fut>(within: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    while !check().await {
        assert!(Instant::now() < deadline, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Registers and signs in `email`: the access token.
async fn signed_in(http: &reqwest::Client, server: &Process, email: &str) -> String {
    let login = crate::process::sign_up(http, server, server, email, "Outage-Passw0rd!").await;
    text(&login, "/tokens/access_token")
}

/// Asserts `body` is the error shape of a 503.
fn assert_unavailable(status: u16, body: &Value, what: &str) {
    assert_eq!(status, 503, "{what}: {body}");
    assert_eq!(body["success"], false, "{what}: {body}");
    assert!(
        body["error"].is_string() && body["message"].is_string(),
        "{what}: {body}"
    );
}

/// A request while the database is away: a 503 in the error shape, within the configured
/// timeout plus a margin for the machine (a hang would take the client's 30 s).
async fn assert_fails_fast(
    http: &reqwest::Client,
    server: &Process,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) {
    let started = Instant::now();
    let (status, answer) = call(http, server, method, path, token, None, body).await;
    let took = started.elapsed();
    assert_unavailable(status, &answer, path);
    let bound = Duration::from_secs(DB_TIMEOUT_SECS * 2 + 3);
    assert!(
        took < bound,
        "{path} took {took:?} with a {DB_TIMEOUT_SECS} s database timeout"
    );
}

/// `GET /api/health`: (status, body).
async fn health(http: &reqwest::Client, server: &Process) -> (u16, Value) {
    call(http, server, Method::GET, "/api/health", None, None, None).await
}

/// Ends the server's PostgreSQL sessions the way a stopping PostgreSQL does.
async fn terminate_sessions(base: &str, database: &str) {
    let mut conn = AsyncPgConnection::establish(base).await.unwrap();
    conn.batch_execute(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = '{database}' AND pid <> pg_backend_pid()"
    ))
    .await
    .unwrap();
}

#[test]
fn a_postgres_outage_is_a_fast_503_and_degraded_health_and_service_resumes_without_restart() {
    let Some(base) = crate::process::postgres() else {
        return;
    };
    let rt = runtime();
    let database = TempDatabase::create(&rt, &base, "outage");
    let proxy = rt.block_on(async { FaultProxy::start(upstream(&base, 5432).await).await });
    let proxied = through(&database.url, proxy.addr);
    let dir = tempfile::tempdir().unwrap();
    let timeout = DB_TIMEOUT_SECS.to_string();
    let mut server = spawn(
        dir.path(),
        &[
            "--database-url",
            &proxied,
            "--db-timeout-secs",
            &timeout,
            "--rate-limits",
            "x100",
        ],
    );
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let name = reqwest::Url::parse(&database.url)
        .unwrap()
        .path()
        .trim_start_matches('/')
        .to_owned();
    let order = json!({"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.001"});

    rt.block_on(async {
        let token = signed_in(&http, &server, "outage@example.com").await;
        let balances = "/api/trading/balances";
        assert_eq!(
            call(&http, &server, Method::GET, balances, Some(&token), None, None)
                .await
                .0,
            200
        );

        for outage in [Mode::Down, Mode::Frozen] {
            if outage == Mode::Down {
                terminate_sessions(&base, &name).await;
            }
            proxy.set(outage);

            // Reads, writes, sign-in and token checks all need the database: 503, quickly.
            assert_fails_fast(&http, &server, Method::GET, balances, Some(&token), None).await;
            assert_fails_fast(
                &http,
                &server,
                Method::POST,
                "/api/trading/order",
                Some(&token),
                Some(order.clone()),
            )
            .await;
            let login = json!({"email": "outage@example.com", "password": "Outage-Passw0rd!"});
            assert_fails_fast(&http, &server, Method::POST, "/api/auth/login", None, Some(login)).await;
            // A wrong password is not told apart from an outage, nor the other way round.
            let wrong = json!({"email": "outage@example.com", "password": "Wrong-Passw0rd!"});
            assert_fails_fast(&http, &server, Method::POST, "/api/auth/login", None, Some(wrong)).await;

            let (status, body) = health(&http, &server).await;
            assert_unavailable(status, &body, "health");
            assert_eq!(body["status"], "degraded", "{body}");
            assert_eq!(body["services"]["database"], "down", "{body}");
            // What needs no database keeps working: the market data feed.
            let (status, body) = call(
                &http,
                &server,
                Method::GET,
                "/api/market/price/BTCUSDT",
                None,
                None,
                None,
            )
            .await;
            assert_eq!(status, 200, "market data during a {outage:?} outage: {body}");

            // Back: the same process serves again, the same session included.
            proxy.set(Mode::Up);
            eventually(Duration::from_secs(20), "health is back to healthy", || async {
                let (status, body) = health(&http, &server).await;
                status == 200 && body["status"] == "healthy"
            })
            .await;
            let (status, body) = call(&http, &server, Method::GET, balances, Some(&token), None, None).await;
            assert_eq!(status, 200, "after a {outage:?} outage: {body}");
            let (status, body) = call(
                &http,
                &server,
                Method::POST,
                "/api/trading/order",
                Some(&token),
                None,
                Some(order.clone()),
            )
            .await;
            assert_eq!(status, 201, "after a {outage:?} outage: {body}");
        }
    });
    assert!(server.child.try_wait().unwrap().is_none(), "the server exited");
    assert!(!server.logged("panicked"), "{}", server.log());
    server.kill();
}

#[test]
fn a_redis_outage_moves_rate_limits_in_process_and_they_return_to_redis() {
    let Some(redis_url) = crate::process::redis() else {
        return;
    };
    let rt = runtime();
    let proxy = rt.block_on(async { FaultProxy::start(upstream(&redis_url, 6379).await).await });
    let prefix = format!("outage{}", std::process::id());
    let dir = tempfile::tempdir().unwrap();
    let proxied = through(&redis_url, proxy.addr);
    let mut server = spawn(
        dir.path(),
        &[
            "--redis-url",
            &proxied,
            "--redis-prefix",
            &prefix,
            "--rate-limits",
            "on",
        ],
    );
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let direct = redis::Client::open(redis_url.as_str()).unwrap();

    rt.block_on(async {
        let redis = direct.get_multiplexed_async_connection().await.unwrap();
        let remaining = |response: &reqwest::Response| -> u64 {
            response.headers()["x-ratelimit-remaining"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap()
        };
        let get_health = || http.get(format!("{}/api/health", server.url)).send();

        let response = get_health().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(
            counted(&redis, &prefix).await >= 1,
            "the request was not counted in Redis"
        );

        proxy.set(Mode::Down);
        // Requests keep being served and counted, now in process.
        let first = get_health().await.unwrap();
        assert_eq!(first.status(), 200);
        let body: Value = first.json().await.unwrap();
        assert_eq!(body["status"], "healthy", "{body}");
        assert_eq!(body["services"]["redis"], "down", "{body}");
        let mut last = None;
        for _ in 0..5 {
            let response = get_health().await.unwrap();
            assert_eq!(response.status(), 200);
            let left = remaining(&response);
            if let Some(previous) = last {
                assert!(
                    left < previous,
                    "the in-process store does not count: {left} after {previous}"
                );
            }
            last = Some(left);
        }
        assert!(
            server.logged("Redis unreachable: rate limits fall back to the in-process store"),
            "{}",
            server.log()
        );

        proxy.set(Mode::Up);
        let during = counted(&redis, &prefix).await;
        eventually(
            Duration::from_secs(20),
            "rate limits counted in Redis again",
            || async { get_health().await.unwrap().status() == 200 && counted(&redis, &prefix).await > during },
        )
        .await;
        let body: Value = get_health().await.unwrap().json().await.unwrap();
        assert_eq!(body["services"]["redis"], "up", "{body}");
        assert!(server.logged("Redis reachable again"), "{}", server.log());
    });
    assert!(server.child.try_wait().unwrap().is_none(), "the server exited");
    server.kill();
}

/// The sum of the counts of every rate-limit key under `prefix` in Redis.
async fn counted(redis: &redis::aio::MultiplexedConnection, prefix: &str) -> u64 {
    let mut redis = redis.clone();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}:rl:*"))
        .query_async(&mut redis)
        .await
        .unwrap();
    let mut total = 0;
    for key in keys {
        let n: Option<u64> = redis::cmd("GET").arg(&key).query_async(&mut redis).await.unwrap();
        total += n.unwrap_or(0);
    }
    total
}
