//! `POST /api/trading/order` under concurrency: one user fires many orders at once, more than
//! the balance covers; exactly the affordable ones succeed, balances never go negative, and
//! the ledger balances per asset (10000 USDT − spent + received − fees = final). Runs on
//! SQLite by default and on PostgreSQL when `TEST_DATABASE_URL` is set (CI's second pass).

use futures_util::future::join_all;
use meridian::types::{TradingOrderType, TradingPlaceOrderRequest, TradingSide, TradingSymbol};
use meridian_contract_tests::TestServer;
use meridian_contract_tests::fixtures::{client_with_token, failure, signed_in_user};
use meridian_server::domain::symbols::Symbol;
use rust_decimal::Decimal;

use super::support::T0;

fn market(side: TradingSide, quantity: Option<Decimal>, quote: Option<Decimal>) -> TradingPlaceOrderRequest {
    TradingPlaceOrderRequest {
        client_order_id: None,
        exchange: None,
        price: None,
        quantity,
        quote_order_qty: quote,
        side,
        symbol: TradingSymbol::Btcusdt,
        time_in_force: None,
        type_: TradingOrderType::Market,
    }
}

/// Every fill of the user, all pages.
async fn all_trades(client: &meridian::GeneratedClient) -> Vec<meridian::types::TradingTrade> {
    let mut out = Vec::new();
    for page in 1u64.. {
        let reply = client
            .list_trades(
                Some(100.try_into().unwrap()),
                Some(page.try_into().unwrap()),
                None,
                None,
            )
            .await
            .expect("history")
            .into_inner();
        out.extend(reply.trades);
        if page >= reply.pagination.total_pages as u64 {
            break;
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_orders_never_overspend_and_the_ledger_balances() {
    let server = TestServer::builder().pool(10, 10).start().await;
    server.state().clock.set_ms(T0);
    let price = server.state().feed.price(Symbol::Btc, T0);
    let user = signed_in_user(&server, "concurrency").await;
    let client = client_with_token(&server, &user.access_token);

    // 50 market buys of 450 USDT each: each buys floor(450 / price) to the step and spends
    // quantity × price, so exactly floor(10000 / cost) of them are affordable.
    let quote = Decimal::from(450);
    let step = Decimal::new(1, 5);
    let qty = (quote / price / step).floor() * step;
    let cost = qty * price;
    let affordable = (Decimal::from(10_000) / cost).floor();
    let affordable: usize = affordable.try_into().unwrap();
    assert!(
        affordable > 5 && affordable < 50,
        "the test needs a partial fit: {affordable}"
    );

    let body = market(TradingSide::Buy, None, Some(quote));
    let results = join_all((0..50).map(|_| client.place_order(None, &body))).await;
    let mut placed = 0;
    for result in results {
        match result {
            Ok(reply) => {
                let reply = reply.into_inner();
                assert_eq!(reply.order.executed_qty, qty);
                placed += 1;
            }
            Err(error) => {
                let (status, body) = failure(Err::<(), _>(error));
                assert_eq!(status, 400, "{body}");
                let message = body["message"].as_str().unwrap();
                assert!(message.starts_with("Insufficient balance: requires "), "{message}");
            }
        }
    }
    assert_eq!(placed, affordable, "exactly the affordable orders succeed");

    // Then sell concurrently: more sells than the BTC held covers.
    let held: Decimal = {
        let balances = client.get_balances().await.unwrap().into_inner().balances;
        let btc = balances
            .iter()
            .find(|b| b.asset.to_string() == "BTC")
            .expect("BTC held");
        btc.free
    };
    let sell_qty = Decimal::new(300, 5); // 0.003 BTC
    let sellable: usize = (held / sell_qty).floor().try_into().unwrap();
    let sell = market(TradingSide::Sell, Some(sell_qty), None);
    let results = join_all((0..30).map(|_| client.place_order(None, &sell))).await;
    let sold = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(sold, sellable.min(30), "exactly the covered sells succeed");

    // The ledger: per asset, start + received − spent − fees = final, and nothing negative.
    let trades = all_trades(&client).await;
    assert_eq!(trades.len(), placed + sold);
    let mut usdt = Decimal::from(10_000);
    let mut btc = Decimal::ZERO;
    for t in &trades {
        let fee = t.fee.unwrap();
        match t.side {
            TradingSide::Buy => {
                usdt -= t.quote_qty.unwrap();
                btc += t.quantity - fee;
            }
            TradingSide::Sell => {
                btc -= t.quantity;
                usdt += t.quote_qty.unwrap() - fee;
            }
        }
    }
    let balances = client.get_balances().await.unwrap().into_inner().balances;
    let total = |asset: &str| {
        balances
            .iter()
            .find(|b| b.asset.to_string() == asset)
            .map(|b| {
                assert!(b.free >= Decimal::ZERO && b.locked >= Decimal::ZERO, "{b:?}");
                assert_eq!(b.total, b.free + b.locked);
                b.total
            })
            .unwrap_or_default()
    };
    assert_eq!(total("USDT"), usdt, "USDT ledger");
    assert_eq!(total("BTC"), btc, "BTC ledger");
    // The portfolio agrees: total P&L = total value − initial balance.
    let portfolio = client.get_portfolio().await.unwrap().into_inner().portfolio;
    assert_eq!(portfolio.total_pnl, portfolio.total_value - portfolio.initial_balance);
    assert_eq!(portfolio.total_pnl, portfolio.realized_pnl + portfolio.unrealized_pnl);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_resting_orders_lock_only_what_is_free() {
    let server = TestServer::builder().pool(10, 10).start().await;
    server.state().clock.set_ms(T0);
    let price = server.state().feed.price(Symbol::Eth, T0);
    let user = signed_in_user(&server, "concurrency-locks").await;
    let client = client_with_token(&server, &user.access_token);
    // GTC buys at 80 % of the price, 1 ETH each: each locks 1 × limit USDT.
    let limit = (price * Decimal::new(8, 1)).floor();
    let affordable: usize = (Decimal::from(10_000) / limit).floor().try_into().unwrap();
    let body = TradingPlaceOrderRequest {
        price: Some(limit),
        quantity: Some(Decimal::ONE),
        symbol: TradingSymbol::Ethusdt,
        type_: TradingOrderType::Limit,
        ..market(TradingSide::Buy, None, None)
    };
    let results = join_all((0..12).map(|_| client.place_order(None, &body))).await;
    let resting = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(resting, affordable.min(12));
    let balances = client.get_balances().await.unwrap().into_inner().balances;
    let usdt = &balances[0];
    assert_eq!(usdt.locked, limit * Decimal::from(resting as u64));
    assert_eq!(usdt.free, Decimal::from(10_000) - usdt.locked);
    assert!(usdt.free >= Decimal::ZERO);
}
