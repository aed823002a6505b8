//! `meridian-bench`: the Rust halves of the benchmarks that `bench/run` drives — the
//! framework-ceiling baseline server, raw argon2id verification, and the Rust SDK against a
//! hand-written `reqwest` call. Each prints one JSON object on stdout for the driver.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Parser, Subcommand};
use poem::http::StatusCode;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::web::Data;
use poem::{EndpointExt, Response, Route, handler};
use serde_json::json;

/// Benchmark helpers (see bench/README.md).
#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// A bare poem server answering Meridian's four benchmarked routes with fixed bytes (the
    /// bodies Meridian itself answered, read from DIR/{health,balances,order,calculate}.json):
    /// what the framework costs with no work behind it. Prints `listening on http://ADDR`.
    Baseline {
        /// Directory of the captured response bodies.
        #[arg(long)]
        bodies: PathBuf,
        /// Address to listen on (port 0 picks one).
        #[arg(long, default_value = "127.0.0.1:0")]
        bind: String,
    },
    /// argon2id verifications per second with the server's parameters, one thread per core:
    /// the physical bound of a correct login on this machine.
    Argon2 {
        /// How long to run.
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
    },
    /// Per-call time of `GET /api/trading/balances` through the Rust SDK and through a
    /// hand-written reqwest call (same connection reuse), in alternating rounds.
    Sdk {
        /// The server's base URL.
        #[arg(long)]
        url: String,
        /// A user access token.
        #[arg(long)]
        token: String,
        /// Calls per round and client.
        #[arg(long, default_value_t = 200)]
        calls: usize,
        /// Rounds (each runs both clients).
        #[arg(long, default_value_t = 7)]
        rounds: usize,
    },
}

/// The captured bodies the baseline answers with.
#[derive(Clone)]
struct Bodies {
    health: Vec<u8>,
    balances: Vec<u8>,
    order: Vec<u8>,
    calculate: Vec<u8>,
}

fn json_response(status: StatusCode, body: &[u8]) -> Response {
    Response::builder()
        .status(status)
        .content_type("application/json; charset=utf-8")
        .body(body.to_vec())
}

#[handler]
fn health(bodies: Data<&Bodies>) -> Response {
    json_response(StatusCode::OK, &bodies.health)
}

#[handler]
fn balances(bodies: Data<&Bodies>) -> Response {
    json_response(StatusCode::OK, &bodies.balances)
}

#[handler]
fn order(bodies: Data<&Bodies>, _body: Vec<u8>) -> Response {
    json_response(StatusCode::CREATED, &bodies.order)
}

#[handler]
fn calculate(bodies: Data<&Bodies>, _body: Vec<u8>) -> Response {
    json_response(StatusCode::OK, &bodies.calculate)
}

async fn baseline(bodies: PathBuf, bind: String) -> anyhow::Result<()> {
    let read = |name: &str| {
        let path = bodies.join(format!("{name}.json"));
        std::fs::read(&path).with_context(|| format!("reading {}", path.display()))
    };
    let bodies = Bodies {
        health: read("health")?,
        balances: read("balances")?,
        order: read("order")?,
        calculate: read("calculate")?,
    };
    let app = Route::new()
        .at("/api/health", poem::get(health))
        .at("/api/trading/balances", poem::get(balances))
        .at("/api/trading/order", poem::post(order))
        .at("/api/loans/calculate", poem::post(calculate))
        .data(bodies);
    let acceptor = TcpListener::bind(bind).into_acceptor().await?;
    let addr = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .context("no address")?;
    println!("listening on http://{addr}");
    poem::Server::new_with_acceptor(acceptor).run(app).await?;
    Ok(())
}

fn argon2(seconds: f64) -> serde_json::Value {
    use meridian_server::auth::password;
    let phc = password::hash("Bench-Passw0rd!");
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let counts: Vec<u64> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut n = 0u64;
                    while Instant::now() < deadline {
                        assert!(password::verify(&phc, "Bench-Passw0rd!"));
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().expect("a worker")).collect()
    });
    let elapsed = started.elapsed().as_secs_f64();
    let total: u64 = counts.iter().sum();
    json!({"threads": threads, "verifications": total, "seconds": elapsed, "per_second": total as f64 / elapsed})
}

/// The median of `values` (sorted in place).
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

async fn sdk(url: String, token: String, calls: usize, rounds: usize) -> anyhow::Result<serde_json::Value> {
    let client = meridian::Client::builder(url.clone()).token(token.clone()).build()?;
    let http = reqwest::Client::new();
    let endpoint = format!("{url}/api/trading/balances");
    // Warm both connections up.
    client.api().get_balances().await?;
    http.get(&endpoint)
        .bearer_auth(&token)
        .send()
        .await?
        .error_for_status()?;
    let (mut via_sdk, mut via_reqwest) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let started = Instant::now();
        for _ in 0..calls {
            let answer = client.api().get_balances().await?.into_inner();
            std::hint::black_box(answer);
        }
        via_sdk.push(started.elapsed().as_secs_f64() * 1e6 / calls as f64);
        let started = Instant::now();
        for _ in 0..calls {
            let answer: serde_json::Value = http
                .get(&endpoint)
                .bearer_auth(&token)
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            std::hint::black_box(answer);
        }
        via_reqwest.push(started.elapsed().as_secs_f64() * 1e6 / calls as f64);
    }
    let (sdk_us, reqwest_us) = (median(&mut via_sdk), median(&mut via_reqwest));
    Ok(json!({
        "calls_per_round": calls,
        "rounds": rounds,
        "sdk_us_per_call": sdk_us,
        "reqwest_us_per_call": reqwest_us,
        "ratio": sdk_us / reqwest_us,
    }))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Baseline { bodies, bind } => baseline(bodies, bind).await?,
        Command::Argon2 { seconds } => {
            let result = tokio::task::spawn_blocking(move || argon2(seconds)).await?;
            println!("{result}");
        }
        Command::Sdk {
            url,
            token,
            calls,
            rounds,
        } => println!("{}", sdk(url, token, calls, rounds).await?),
    }
    Ok(())
}
