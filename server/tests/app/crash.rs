//! A crash in the middle of a load: clients place market orders and make loan payments
//! concurrently, each with an `Idempotency-Key`, the server is killed with `SIGKILL` after a
//! random number of answers, restarted on the same database (an SQLite file, and a
//! PostgreSQL database when `TEST_DATABASE_URL` is set), and this repeats a few times. Then:
//!
//! - every request that got a 2xx is there, and retrying any request with its key (answered,
//!   failed or cut off by the crash) creates nothing twice: each key stands for at most one
//!   order or payment, and every order and payment in the database belongs to one key;
//! - nothing is half-applied: per user and asset, free + locked = the initial balance plus
//!   what the user's trades received minus what they spent and their fees, with nothing left
//!   locked; each order's executed quantities are the sums of its trades; per loan, the
//!   outstanding principal is the approved amount minus the principal paid, and the total
//!   paid the sum of the payments, numbered 1..n without a gap.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use meridian_server::db::{DatabaseUrl, Db, PoolOptions};
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tokio::sync::{Mutex, Notify};

use crate::process::{Process, TempDatabase, call, runtime, spawn, text, try_call};

/// Users placing orders and paying loans at once.
const USERS: usize = 3;
/// Crashes per run.
const CRASHES: usize = 3;
/// Requests each client task sends per round at most (the crash usually cuts it short).
const REQUESTS_PER_ROUND: usize = 40;
const ADMIN: &str = "crash-admin@example.com";
const PASSWORD: &str = "Crash-Passw0rd!";

/// One request a client sent with an `Idempotency-Key`.
#[derive(Debug, Clone)]
struct Sent {
    path: String,
    token: String,
    body: Value,
    /// The id of what it created when it got a 2xx, before any crash.
    created: Option<String>,
}

/// What the clients did, by idempotency key.
type Journal = Arc<Mutex<BTreeMap<String, Sent>>>;

/// A signed-in user with an active loan.
#[derive(Debug, Clone)]
struct Customer {
    id: String,
    token: String,
    loan: String,
}

/// A pseudo-random number below `below`: each run crashes at other moments; the moments are
/// printed so a failure can be replayed by reading them.
fn random(below: usize) -> usize {
    (crate::support::rand_id() % below as u64) as usize
}

/// The id a 2xx answer created: the order id or the payment id.
fn created_id(path: &str, body: &Value) -> String {
    let id = if path == "/api/trading/order" {
        &body["order"]["orderId"]
    } else {
        &body["data"]["payment"]["id"]
    };
    match id {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        other => panic!("no id in {body} ({other})"),
    }
}

/// Registers and signs in `email`: (user id, access token).
async fn sign_up(http: &reqwest::Client, server: &Process, email: &str) -> (String, String) {
    let login = crate::process::sign_up(http, server, server, email, PASSWORD).await;
    (text(&login, "/user/id"), text(&login, "/tokens/access_token"))
}

/// The users, each with an approved loan of 5,000 to pay off.
async fn customers(http: &reqwest::Client, server: &Process) -> Vec<Customer> {
    let (_, admin) = sign_up(http, server, ADMIN).await;
    let mut out = Vec::new();
    for n in 0..USERS {
        let (id, token) = sign_up(http, server, &format!("crash-{n}@example.com")).await;
        let application = json!({"loan_type": "personal", "requested_amount": 5000, "requested_term_months": 12, "requested_rate": 6.5});
        let (status, body) = call(
            http,
            server,
            Method::POST,
            "/api/loans/apply",
            Some(&token),
            None,
            Some(application),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        let loan = body["data"]["id"].as_str().unwrap().to_owned();
        let path = format!("/api/admin/loans/{loan}/decision");
        let (status, body) = call(
            http,
            server,
            Method::POST,
            &path,
            Some(&admin),
            None,
            Some(json!({"decision": "approve"})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        out.push(Customer { id, token, loan });
    }
    out
}

/// What one client task sends.
enum Lane {
    /// Market orders of this quantity on this symbol, buying and selling in turn.
    Order(&'static str, &'static str),
    /// Payments of 10.25 on this loan.
    Pay(String),
}

impl Lane {
    /// The `n`-th request of this lane for the client named `who`: (key, path, body).
    fn request(&self, who: &str, n: usize) -> (String, String, Value) {
        match self {
            Lane::Order(symbol, quantity) => {
                let side = if n.is_multiple_of(2) { "BUY" } else { "SELL" };
                let body = json!({"symbol": symbol, "side": side, "type": "MARKET", "quantity": quantity});
                (format!("{who}-{symbol}-{n}"), "/api/trading/order".to_owned(), body)
            }
            Lane::Pay(loan) => (
                format!("{who}-pay-{n}"),
                format!("/api/loans/{loan}/payments"),
                json!({"amount": 10.25}),
            ),
        }
    }
}

/// Counts answers for the round's killer and wakes it on each, and when a client stops.
#[derive(Default)]
struct Progress {
    answered: AtomicUsize,
    changed: Notify,
}

/// One client task: up to [`REQUESTS_PER_ROUND`] requests from `next()`, each journaled
/// before it is sent; stops at the first request the server does not answer (the crash).
async fn client(
    http: reqwest::Client,
    url: String,
    journal: Journal,
    progress: Arc<Progress>,
    next: impl FnMut(usize) -> (String, String, Value),
    token: String,
) {
    send_all(&http, &url, &journal, &progress, next, &token).await;
    progress.changed.notify_one();
}

/// The body of [`client`].
async fn send_all(
    http: &reqwest::Client,
    url: &str,
    journal: &Journal,
    progress: &Progress,
    mut next: impl FnMut(usize) -> (String, String, Value),
    token: &str,
) {
    for n in 0..REQUESTS_PER_ROUND {
        let (key, path, body) = next(n);
        journal.lock().await.insert(
            key.clone(),
            Sent {
                path: path.clone(),
                token: token.to_owned(),
                body: body.clone(),
                created: None,
            },
        );
        match try_call(http, url, Method::POST, &path, Some(token), Some(&key), Some(&body)).await {
            Ok((status, answer)) => {
                if (200..300).contains(&status) {
                    journal.lock().await.get_mut(&key).unwrap().created = Some(created_id(&path, &answer));
                }
                assert!(status < 500, "{path} {body} → {status} {answer}");
                progress.answered.fetch_add(1, Ordering::SeqCst);
                progress.changed.notify_one();
            }
            Err(_) => return,
        }
    }
}

/// Runs clients against `server` until it has answered `crash_after` requests, then kills it.
async fn round(
    http: &reqwest::Client,
    server: &mut Process,
    customers: &[Customer],
    journal: &Journal,
    round: usize,
    crash_after: usize,
) {
    let progress = Arc::new(Progress::default());
    let mut tasks = Vec::new();
    for (u, customer) in customers.iter().enumerate() {
        // Two order clients per user (they contend for the user's wallet) and one payer.
        let lanes = [
            Lane::Order("BTCUSDT", "0.001"),
            Lane::Order("ETHUSDT", "0.01"),
            Lane::Pay(customer.loan.clone()),
        ];
        for lane in lanes {
            let next = move |n: usize| lane.request(&format!("r{round}-u{u}"), n);
            let (url, token) = (server.url.clone(), customer.token.clone());
            let task = client(http.clone(), url, journal.clone(), progress.clone(), next, token);
            tasks.push(tokio::spawn(task));
        }
    }
    while progress.answered.load(Ordering::SeqCst) < crash_after && !tasks.iter().all(|t| t.is_finished()) {
        progress.changed.notified().await;
    }
    server.kill();
    for task in tasks {
        task.await.expect("a client task panicked");
    }
}

#[derive(QueryableByName)]
struct TradeRow {
    #[diesel(sql_type = Text)]
    user_id: String,
    #[diesel(sql_type = BigInt)]
    order_id: i64,
    #[diesel(sql_type = Text)]
    symbol: String,
    #[diesel(sql_type = Text)]
    side: String,
    #[diesel(sql_type = Text)]
    quantity: String,
    #[diesel(sql_type = Text)]
    quote_qty: String,
    #[diesel(sql_type = Text)]
    fee: String,
    #[diesel(sql_type = Text)]
    fee_asset: String,
}

#[derive(QueryableByName)]
struct OrderRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Text)]
    executed_qty: String,
    #[diesel(sql_type = Text)]
    cumulative_quote_qty: String,
}

#[derive(QueryableByName)]
struct BalanceRow {
    #[diesel(sql_type = Text)]
    user_id: String,
    #[diesel(sql_type = Text)]
    asset: String,
    #[diesel(sql_type = Text)]
    free: String,
    #[diesel(sql_type = Text)]
    locked: String,
}

#[derive(QueryableByName)]
struct WalletRow {
    #[diesel(sql_type = Text)]
    user_id: String,
    #[diesel(sql_type = Text)]
    initial_balance: String,
}

#[derive(QueryableByName)]
struct LoanRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    approved_amount: String,
    #[diesel(sql_type = Text)]
    outstanding_principal: String,
    #[diesel(sql_type = Text)]
    total_paid: String,
}

#[derive(QueryableByName)]
struct PaymentRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    loan_id: String,
    #[diesel(sql_type = BigInt)]
    sequence: i64,
    #[diesel(sql_type = Text)]
    amount: String,
    #[diesel(sql_type = Text)]
    principal_portion: String,
}

/// What the database holds after the last restart.
struct Ledger {
    trades: Vec<TradeRow>,
    orders: Vec<OrderRow>,
    balances: Vec<BalanceRow>,
    wallets: Vec<WalletRow>,
    loans: Vec<LoanRow>,
    payments: Vec<PaymentRow>,
}

/// Reads the ledger tables (decimals as text on both backends).
async fn read_ledger(url: &str) -> Ledger {
    use diesel_async::RunQueryDsl;
    let db = Db::connect(
        &DatabaseUrl::parse(url).unwrap(),
        &PoolOptions {
            max_size: 1,
            timeout: Duration::from_secs(10),
        },
    )
    .await
    .unwrap();
    let mut conn = db.conn().await.unwrap();
    meridian_server::with_conn!(&mut conn, c => {
        Ledger {
            trades: diesel::sql_query(
                "SELECT user_id, CAST(order_id AS BIGINT) AS order_id, symbol, side, CAST(quantity AS TEXT) AS quantity, \
                 CAST(quote_qty AS TEXT) AS quote_qty, CAST(fee AS TEXT) AS fee, fee_asset FROM trading_trades",
            )
            .load(c)
            .await
            .unwrap(),
            orders: diesel::sql_query(
                "SELECT CAST(id AS BIGINT) AS id, status, CAST(executed_qty AS TEXT) AS executed_qty, \
                 CAST(cumulative_quote_qty AS TEXT) AS cumulative_quote_qty FROM trading_orders",
            )
            .load(c)
            .await
            .unwrap(),
            balances: diesel::sql_query(
                "SELECT user_id, asset, CAST(free AS TEXT) AS free, CAST(locked AS TEXT) AS locked FROM trading_balances",
            )
            .load(c)
            .await
            .unwrap(),
            wallets: diesel::sql_query("SELECT user_id, CAST(initial_balance AS TEXT) AS initial_balance FROM trading_wallets")
                .load(c)
                .await
                .unwrap(),
            loans: diesel::sql_query(
                "SELECT id, CAST(approved_amount AS TEXT) AS approved_amount, \
                 CAST(outstanding_principal AS TEXT) AS outstanding_principal, CAST(total_paid AS TEXT) AS total_paid \
                 FROM loans WHERE approved_amount IS NOT NULL",
            )
            .load(c)
            .await
            .unwrap(),
            payments: diesel::sql_query(
                "SELECT id, loan_id, CAST(sequence AS BIGINT) AS sequence, CAST(amount AS TEXT) AS amount, \
                 CAST(principal_portion AS TEXT) AS principal_portion FROM loan_payments",
            )
            .load(c)
            .await
            .unwrap(),
        }
    })
}

fn dec(text: &str) -> Decimal {
    text.parse().unwrap_or_else(|e| panic!("`{text}`: {e}"))
}

/// Checks the ledger invariants of the module comment.
fn assert_ledger_balances(ledger: &Ledger, customers: &[Customer]) {
    // Per user and asset: the initial balance plus what trades moved, minus fees.
    let mut expected: HashMap<(String, String), Decimal> = HashMap::new();
    for wallet in &ledger.wallets {
        *expected.entry((wallet.user_id.clone(), "USDT".into())).or_default() += dec(&wallet.initial_balance);
    }
    let mut per_order: HashMap<i64, (Decimal, Decimal)> = HashMap::new();
    for t in &ledger.trades {
        let base = t.symbol.strip_suffix("USDT").expect("a USDT pair").to_owned();
        let (qty, quote) = (dec(&t.quantity), dec(&t.quote_qty));
        let sign = if t.side == "BUY" { Decimal::ONE } else { -Decimal::ONE };
        *expected.entry((t.user_id.clone(), base)).or_default() += sign * qty;
        *expected.entry((t.user_id.clone(), "USDT".into())).or_default() -= sign * quote;
        *expected.entry((t.user_id.clone(), t.fee_asset.clone())).or_default() -= dec(&t.fee);
        let sums = per_order.entry(t.order_id).or_default();
        sums.0 += qty;
        sums.1 += quote;
    }
    let mut actual: HashMap<(String, String), Decimal> = HashMap::new();
    for b in &ledger.balances {
        assert_eq!(
            dec(&b.locked),
            Decimal::ZERO,
            "{} holds {} {} locked with no open order",
            b.user_id,
            b.locked,
            b.asset
        );
        assert!(
            dec(&b.free) >= Decimal::ZERO,
            "{} has a negative {} balance {}",
            b.user_id,
            b.asset,
            b.free
        );
        actual.insert((b.user_id.clone(), b.asset.clone()), dec(&b.free) + dec(&b.locked));
    }
    for customer in customers {
        for ((user, asset), want) in expected.iter().filter(|((user, _), _)| *user == customer.id) {
            let have = actual.get(&(user.clone(), asset.clone())).copied().unwrap_or_default();
            assert_eq!(
                have, *want,
                "{user}'s {asset}: the balance is not the initial one plus its trades"
            );
        }
    }
    // Each order: its executed quantities are its trades', and only filled orders have any.
    for order in &ledger.orders {
        let (qty, quote) = per_order.get(&order.id).copied().unwrap_or_default();
        assert_eq!(
            dec(&order.executed_qty),
            qty,
            "order {} executed_qty against its trades",
            order.id
        );
        assert_eq!(
            dec(&order.cumulative_quote_qty),
            quote,
            "order {} cumulative_quote_qty",
            order.id
        );
        assert!(
            (order.status == "FILLED") == (qty > Decimal::ZERO),
            "order {} is {} with {qty} traded",
            order.id,
            order.status
        );
    }
    // Each loan: principal and total paid against its payments, numbered without a gap.
    for loan in &ledger.loans {
        let mut payments: Vec<&PaymentRow> = ledger.payments.iter().filter(|p| p.loan_id == loan.id).collect();
        payments.sort_by_key(|p| p.sequence);
        let sequences: Vec<i64> = payments.iter().map(|p| p.sequence).collect();
        assert_eq!(
            sequences,
            (1..=payments.len() as i64).collect::<Vec<_>>(),
            "loan {} payment numbers",
            loan.id
        );
        let principal: Decimal = payments.iter().map(|p| dec(&p.principal_portion)).sum();
        let paid: Decimal = payments.iter().map(|p| dec(&p.amount)).sum();
        assert_eq!(
            dec(&loan.outstanding_principal),
            dec(&loan.approved_amount) - principal,
            "loan {} principal",
            loan.id
        );
        assert_eq!(dec(&loan.total_paid), paid, "loan {} total paid", loan.id);
    }
}

/// The whole scenario on the database at `database_url` (`--database-url`).
fn crash_and_recover(database_url: &str) {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--database-url",
        database_url,
        "--rate-limits",
        "off",
        "--bootstrap-admin",
        ADMIN,
    ];
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let journal: Journal = Arc::default();

    let mut server = spawn(dir.path(), &args);
    let customers = rt.block_on(customers(&http, &server));
    for n in 0..CRASHES {
        let crash_after = 5 + random(REQUESTS_PER_ROUND * 2);
        eprintln!("round {n}: SIGKILL after {crash_after} answers");
        rt.block_on(round(&http, &mut server, &customers, &journal, n, crash_after));
        server = spawn(dir.path(), &args);
    }

    // Every request again with its key: each answered one gives back what it created; the
    // ones the crash cut off are either found done or done now, once.
    let journal = rt.block_on(journal.lock()).clone();
    let mut final_ids: BTreeMap<String, String> = BTreeMap::new();
    rt.block_on(async {
        for (key, sent) in &journal {
            let (status, answer) = try_call(
                &http,
                &server.url,
                Method::POST,
                &sent.path,
                Some(&sent.token),
                Some(key),
                Some(&sent.body),
            )
            .await
            .expect("the restarted server answers");
            if let Some(created) = &sent.created {
                assert!(
                    (200..300).contains(&status),
                    "retry of {key}, answered before the crash, → {status} {answer}"
                );
                assert_eq!(
                    &created_id(&sent.path, &answer),
                    created,
                    "retry of {key} gave another resource"
                );
            }
            assert!(status < 500, "retry of {key} → {status} {answer}");
            if (200..300).contains(&status) {
                final_ids.insert(key.clone(), created_id(&sent.path, &answer));
            }
        }
    });
    server.kill();

    let ledger = rt.block_on(read_ledger(database_url));
    // One resource per key, and no resource without its key: orders…
    let orders: BTreeSet<String> = ledger.orders.iter().map(|o| o.id.to_string()).collect();
    let payments: BTreeSet<String> = ledger.payments.iter().map(|p| p.id.clone()).collect();
    let keyed_orders: BTreeSet<String> = final_ids
        .iter()
        .filter(|(k, _)| !k.contains("-pay-"))
        .map(|(_, id)| id.clone())
        .collect();
    let keyed_payments: BTreeSet<String> = final_ids
        .iter()
        .filter(|(k, _)| k.contains("-pay-"))
        .map(|(_, id)| id.clone())
        .collect();
    assert_eq!(
        keyed_orders.len(),
        final_ids.keys().filter(|k| !k.contains("-pay-")).count(),
        "two keys gave one order"
    );
    assert_eq!(
        orders, keyed_orders,
        "the orders in the database are not one per successful key"
    );
    assert_eq!(
        payments, keyed_payments,
        "the payments in the database are not one per successful key"
    );
    let answered = journal.values().filter(|s| s.created.is_some()).count();
    eprintln!(
        "{} requests journaled, {answered} answered 2xx before a crash; {} orders and {} payments in the end",
        journal.len(),
        orders.len(),
        payments.len()
    );
    assert!(
        answered > 0 && !orders.is_empty() && !payments.is_empty(),
        "the load did nothing"
    );
    assert_ledger_balances(&ledger, &customers);
}

#[test]
fn killed_mid_load_on_sqlite_it_restarts_with_every_answered_request_and_nothing_half_applied() {
    let dir = tempfile::tempdir().unwrap();
    crash_and_recover(&format!("sqlite://{}", dir.path().join("crash.db").display()));
}

#[test]
fn killed_mid_load_on_postgres_it_restarts_with_every_answered_request_and_nothing_half_applied() {
    let Some(base) = crate::process::postgres() else {
        return;
    };
    let rt = runtime();
    let database = TempDatabase::create(&rt, &base, "crash");
    crash_and_recover(&database.url);
}
