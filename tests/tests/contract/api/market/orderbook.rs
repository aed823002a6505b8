//! `GET /api/market/orderbook` (get_order_book): synthetic depth around the feed price.

use meridian::types::{GetOrderBookLimit, MarketOrderBook};
use meridian_contract_tests::TestServer;
use meridian_server::domain::symbols::{Symbol, is_multiple};
use rust_decimal::Decimal;

use super::{T0, assert_invalid_symbol, bad_request, domain, market_at, sdk};

async fn book(server: &TestServer, symbol: Symbol, limit: Option<i64>) -> MarketOrderBook {
    let limit = limit.map(|l| GetOrderBookLimit::try_from(l).expect("a documented depth"));
    server
        .client()
        .get_order_book(limit.as_ref(), sdk(symbol))
        .await
        .expect("200")
        .into_inner()
}

#[tokio::test]
async fn the_book_surrounds_the_current_price() {
    let now = T0 + 777;
    let server = market_at(now).await;
    for symbol in Symbol::ALL {
        let filters = symbol.filters();
        let price = server.state().feed.price(symbol, now);
        for (limit, depth) in [
            (None, 20),
            (Some(5), 5),
            (Some(10), 10),
            (Some(50), 50),
            (Some(100), 100),
        ] {
            let book = book(&server, symbol, limit).await;
            assert_eq!(domain(book.symbol), symbol);
            assert_eq!(book.timestamp.timestamp_millis(), now);
            assert_eq!(book.last_update_id, now);
            assert_eq!((book.bids.len(), book.asks.len()), (depth, depth), "{symbol} {limit:?}");
            assert!(book.bids.windows(2).all(|w| w[0].price > w[1].price), "bids best first");
            assert!(book.asks.windows(2).all(|w| w[0].price < w[1].price), "asks best first");
            assert!(
                book.bids[0].price < price && price < book.asks[0].price,
                "{symbol}: bid < {price} < ask"
            );
            for level in book.bids.iter().chain(&book.asks) {
                assert!(is_multiple(level.price, filters.tick_size), "{symbol} {}", level.price);
                assert!(level.quantity > Decimal::ZERO);
                assert!(
                    is_multiple(level.quantity, filters.step_size),
                    "{symbol} {}",
                    level.quantity
                );
            }
        }
    }
}

#[tokio::test]
async fn the_book_is_deterministic_and_its_version_grows_with_time() {
    let server = market_at(T0).await;
    let first = book(&server, Symbol::Eth, Some(10)).await;
    let again = book(&server, Symbol::Eth, Some(10)).await;
    assert_eq!(
        serde_json::to_value(&first).unwrap(),
        serde_json::to_value(&again).unwrap()
    );
    server.state().clock.advance_ms(1_500);
    let later = book(&server, Symbol::Eth, Some(10)).await;
    assert!(later.last_update_id > first.last_update_id);
    let price = server.state().feed.price(Symbol::Eth, T0 + 1_500);
    assert!(later.bids[0].price < price && price < later.asks[0].price);
}

#[tokio::test]
async fn bad_book_requests_are_400s() {
    let server = market_at(T0).await;
    let body = bad_request(&server, "/api/market/orderbook").await;
    assert_eq!(body["errors"][0]["field"], "symbol", "{body}");
    let body = bad_request(&server, "/api/market/orderbook?symbol=FOOUSDT&limit=5").await;
    assert_invalid_symbol(&body, "symbol", "FOOUSDT");
    for limit in ["7", "0", "1000", "-5", "twenty"] {
        let body = bad_request(&server, &format!("/api/market/orderbook?symbol=BTCUSDT&limit={limit}")).await;
        assert_eq!(body["errors"][0]["field"], "limit", "{limit}: {body}");
    }
}
