//! The paper-trading rules, pure: order validation against the symbol filters, execution
//! against the feed price (unlimited depth: one complete fill or none), fund locking for
//! resting orders, fees, and average-cost bookkeeping of positions and realized P&L.
//!
//! Everything works on a [`Wallet`] loaded inside the caller's transaction; the database
//! layer stores what changed. Amounts are exact decimals throughout.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::symbols::{Asset, Symbol, floor_to, is_multiple, round_half_up};
use super::text_enum;

/// The USDT every new demo wallet starts with.
pub const INITIAL_USDT: i64 = 10_000;

text_enum!(
    /// Order side.
    Side { /// Spend USDT for the base asset.
    Buy = "BUY", /// Sell the base asset for USDT.
    Sell = "SELL" }
);
text_enum!(
    /// Order type.
    OrderType { /// Execute now at the feed price.
    Market = "MARKET", /// Execute at the limit price or better.
    Limit = "LIMIT" }
);
text_enum!(
    /// How long a LIMIT order stays active.
    TimeInForce { /// Good till cancelled.
    Gtc = "GTC", /// Immediate or cancel.
    Ioc = "IOC", /// Fill or kill.
    Fok = "FOK" }
);
text_enum!(
    /// Order status (Binance's names).
    OrderStatus {
        /// Resting, nothing filled.
        New = "NEW",
        /// Partly filled (never produced by the simulator).
        PartiallyFilled = "PARTIALLY_FILLED",
        /// Completely filled.
        Filled = "FILLED",
        /// Cancelled by its owner.
        Canceled = "CANCELED",
        /// An IOC/FOK order that could not fill.
        Expired = "EXPIRED",
        /// Refused (never produced: invalid orders are 400s).
        Rejected = "REJECTED",
    }
);

impl OrderStatus {
    /// Whether the order can still fill or be cancelled.
    pub fn is_open(self) -> bool {
        matches!(self, OrderStatus::New | OrderStatus::PartiallyFilled)
    }
}

/// One asset's holding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Balance {
    /// Spendable.
    pub free: Decimal,
    /// Held by resting orders.
    pub locked: Decimal,
    /// USDT paid for the quantity held (base assets only; fees included).
    pub cost_basis: Decimal,
}

impl Balance {
    /// `free + locked`.
    pub fn total(&self) -> Decimal {
        self.free + self.locked
    }
}

/// A demo wallet: balances per asset and the realized P&L so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wallet {
    /// Holdings; a missing asset is zero.
    pub balances: BTreeMap<Asset, Balance>,
    /// Profit or loss locked in by SELL fills, after fees, against average cost.
    pub realized_pnl: Decimal,
}

impl Wallet {
    /// A new demo wallet: 10000 USDT.
    pub fn new_demo() -> Self {
        let mut balances = BTreeMap::new();
        balances.insert(
            Asset::Usdt,
            Balance {
                free: Decimal::from(INITIAL_USDT),
                ..Balance::default()
            },
        );
        Self {
            balances,
            realized_pnl: Decimal::ZERO,
        }
    }

    /// The holding of `asset` (zero when absent).
    pub fn balance(&self, asset: Asset) -> Balance {
        self.balances.get(&asset).copied().unwrap_or_default()
    }

    fn entry(&mut self, asset: Asset) -> &mut Balance {
        self.balances.entry(asset).or_default()
    }
}

/// An order as requested (after JSON parsing, before any rule).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    /// The pair.
    pub symbol: Symbol,
    /// BUY or SELL.
    pub side: Side,
    /// MARKET or LIMIT.
    pub order_type: OrderType,
    /// Base quantity.
    pub quantity: Option<Decimal>,
    /// USDT amount (MARKET only).
    pub quote_order_qty: Option<Decimal>,
    /// Limit price (LIMIT only).
    pub price: Option<Decimal>,
    /// Time in force (LIMIT only; GTC by default).
    pub time_in_force: Option<TimeInForce>,
}

/// Why an order was refused (400).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderError {
    /// A field is missing, not allowed for the order type, or out of range.
    Field(&'static str, String),
    /// A rule of the symbol or the wallet (filters, balance); the message names it.
    Rule(String),
}

/// A fill: the whole order at one price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fill {
    /// Base quantity (gross, before fee).
    pub quantity: Decimal,
    /// Price in USDT.
    pub price: Decimal,
    /// `quantity × price`.
    pub quote_qty: Decimal,
    /// Fee, in `fee_asset`.
    pub fee: Decimal,
    /// The asset received: base for BUY, USDT for SELL.
    pub fee_asset: Asset,
    /// Whether a resting order filled (maker) rather than on placement (taker).
    pub is_maker: bool,
}

/// What placing an order did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// The base quantity ordered (derived from `quoteOrderQty` when given).
    pub orig_qty: Decimal,
    /// LIMIT: the limit price; MARKET: the fill price.
    pub price: Decimal,
    /// Effective time in force (LIMIT only).
    pub time_in_force: Option<TimeInForce>,
    /// The status after placement: FILLED, NEW (resting) or EXPIRED.
    pub status: OrderStatus,
    /// The fill made on placement, if any.
    pub fill: Option<Fill>,
    /// Funds a resting order locked (USDT for BUY, base for SELL); zero otherwise.
    pub locked: Decimal,
}

/// The asset a side spends.
pub fn spent_asset(symbol: Symbol, side: Side) -> Asset {
    match side {
        Side::Buy => Asset::Usdt,
        Side::Sell => symbol.base(),
    }
}

/// The asset a side receives (and pays its fee in).
pub fn received_asset(symbol: Symbol, side: Side) -> Asset {
    match side {
        Side::Buy => symbol.base(),
        Side::Sell => Asset::Usdt,
    }
}

fn text(d: Decimal) -> String {
    d.normalize().to_string()
}

fn positive(field: &'static str, value: Decimal) -> Result<Decimal, OrderError> {
    if value <= Decimal::ZERO {
        return Err(OrderError::Field(field, "must be greater than 0".into()));
    }
    Ok(value)
}

/// Checks the order's parameters and the symbol's filters at `market_price`, and works out
/// its quantity, price and how it executes — without touching any wallet.
fn plan(order: &NewOrder, market_price: Decimal) -> Result<(Decimal, Decimal, Option<TimeInForce>, bool), OrderError> {
    let filters = order.symbol.filters();
    let (quantity, limit, tif) = match order.order_type {
        OrderType::Limit => {
            if order.quote_order_qty.is_some() {
                return Err(OrderError::Field(
                    "quoteOrderQty",
                    "is not allowed for LIMIT orders".into(),
                ));
            }
            let price = order
                .price
                .ok_or_else(|| OrderError::Field("price", "is required for LIMIT orders".into()))?;
            let quantity = order
                .quantity
                .ok_or_else(|| OrderError::Field("quantity", "is required for LIMIT orders".into()))?;
            let price = positive("price", price)?;
            if !is_multiple(price, filters.tick_size) {
                return Err(OrderError::Rule(format!(
                    "Filter failure: PRICE_FILTER (price must be a multiple of {})",
                    text(filters.tick_size)
                )));
            }
            (
                positive("quantity", quantity)?,
                Some(price),
                Some(order.time_in_force.unwrap_or(TimeInForce::Gtc)),
            )
        }
        OrderType::Market => {
            if order.price.is_some() {
                return Err(OrderError::Field("price", "is not allowed for MARKET orders".into()));
            }
            if order.time_in_force.is_some() {
                return Err(OrderError::Field(
                    "timeInForce",
                    "is not allowed for MARKET orders".into(),
                ));
            }
            let quantity = match (order.quantity, order.quote_order_qty) {
                (Some(q), None) => positive("quantity", q)?,
                (None, Some(quote)) => {
                    let quote = positive("quoteOrderQty", quote)?;
                    if quote.normalize().scale() > 8 {
                        return Err(OrderError::Field(
                            "quoteOrderQty",
                            "must have at most 8 decimal places".into(),
                        ));
                    }
                    let derived = floor_to(quote / market_price, filters.step_size);
                    if derived.is_zero() {
                        return Err(OrderError::Rule(format!(
                            "Filter failure: LOT_SIZE (quoteOrderQty {} buys less than the minimum quantity {} at {})",
                            text(quote),
                            text(filters.step_size),
                            text(market_price)
                        )));
                    }
                    derived
                }
                _ => {
                    return Err(OrderError::Field(
                        "quantity",
                        "MARKET orders take exactly one of quantity and quoteOrderQty".into(),
                    ));
                }
            };
            (quantity, None, None)
        }
    };
    if !is_multiple(quantity, filters.step_size) {
        return Err(OrderError::Rule(format!(
            "Filter failure: LOT_SIZE (quantity must be a multiple of {})",
            text(filters.step_size)
        )));
    }
    let notional_price = limit.unwrap_or(market_price);
    let notional = quantity * notional_price;
    if notional < filters.min_notional {
        return Err(OrderError::Rule(format!(
            "Filter failure: NOTIONAL (quantity × price must be at least {} USDT, got {} USDT)",
            text(filters.min_notional),
            text(notional)
        )));
    }
    let marketable = match (limit, order.side) {
        (None, _) => true,
        (Some(price), Side::Buy) => price >= market_price,
        (Some(price), Side::Sell) => price <= market_price,
    };
    Ok((quantity, limit.unwrap_or(market_price), tif, marketable))
}

/// Places `order` on `wallet` at the feed's `market_price`, charging `fee_rate` on a fill.
///
/// A marketable order fills completely now at `market_price` (taker); a non-marketable GTC
/// order rests and locks its funds; a non-marketable IOC/FOK order expires. The balance
/// check uses `quantity × price` (the limit price for LIMIT, the feed price for MARKET) for
/// a BUY and `quantity` for a SELL.
pub fn place(
    wallet: &mut Wallet,
    order: &NewOrder,
    market_price: Decimal,
    fee_rate: Decimal,
) -> Result<Placement, OrderError> {
    let (quantity, price, tif, marketable) = plan(order, market_price)?;
    let spent = spent_asset(order.symbol, order.side);
    let required = match order.side {
        Side::Buy => quantity * price,
        Side::Sell => quantity,
    };
    let rests = !marketable && tif == Some(TimeInForce::Gtc);
    // Expiring orders move nothing, so they need no funds.
    if marketable || rests {
        let available = wallet.balance(spent).free;
        if available < required {
            return Err(OrderError::Rule(format!(
                "Insufficient balance: requires {} {spent}, available {} {spent}",
                text(required),
                text(available)
            )));
        }
    }
    if marketable {
        let fill = execute(
            wallet,
            order.symbol,
            order.side,
            quantity,
            market_price,
            fee_rate,
            false,
            None,
        );
        return Ok(Placement {
            orig_qty: quantity,
            price: if order.order_type == OrderType::Market {
                market_price
            } else {
                price
            },
            time_in_force: tif,
            status: OrderStatus::Filled,
            fill: Some(fill),
            locked: Decimal::ZERO,
        });
    }
    if rests {
        let balance = wallet.entry(spent);
        balance.free -= required;
        balance.locked += required;
    }
    Ok(Placement {
        orig_qty: quantity,
        price,
        time_in_force: tif,
        status: if rests { OrderStatus::New } else { OrderStatus::Expired },
        fill: None,
        locked: if rests { required } else { Decimal::ZERO },
    })
}

/// Fills a resting order completely at its limit price (maker), spending the `locked` funds
/// it holds.
pub fn fill_resting(
    wallet: &mut Wallet,
    symbol: Symbol,
    side: Side,
    quantity: Decimal,
    limit_price: Decimal,
    locked: Decimal,
    fee_rate: Decimal,
) -> Fill {
    execute(
        wallet,
        symbol,
        side,
        quantity,
        limit_price,
        fee_rate,
        true,
        Some(locked),
    )
}

/// Releases what a cancelled resting order locked back to `free`.
pub fn release(wallet: &mut Wallet, symbol: Symbol, side: Side, locked: Decimal) {
    let balance = wallet.entry(spent_asset(symbol, side));
    balance.locked -= locked;
    balance.free += locked;
}

/// Moves the funds of one fill. `from_locked`: the amount a resting order locked (spent from
/// `locked` instead of `free`).
#[allow(clippy::too_many_arguments)]
fn execute(
    wallet: &mut Wallet,
    symbol: Symbol,
    side: Side,
    quantity: Decimal,
    price: Decimal,
    fee_rate: Decimal,
    is_maker: bool,
    from_locked: Option<Decimal>,
) -> Fill {
    let quote_qty = quantity * price;
    let base = symbol.base();
    match side {
        Side::Buy => {
            let fee = quantity * fee_rate;
            let usdt = wallet.entry(Asset::Usdt);
            match from_locked {
                Some(locked) => {
                    // A resting BUY locked exactly quantity × limit price, which it now pays.
                    usdt.locked -= locked;
                    usdt.free += locked - quote_qty;
                }
                None => usdt.free -= quote_qty,
            }
            let holding = wallet.entry(base);
            holding.free += quantity - fee;
            holding.cost_basis += quote_qty;
            Fill {
                quantity,
                price,
                quote_qty,
                fee,
                fee_asset: base,
                is_maker,
            }
        }
        Side::Sell => {
            let fee = quote_qty * fee_rate;
            let holding = wallet.entry(base);
            let before = holding.total();
            match from_locked {
                Some(locked) => {
                    holding.locked -= locked;
                    holding.free += locked - quantity;
                }
                None => holding.free -= quantity,
            }
            // Average cost: the share of the cost basis the quantity sold carried.
            let removed = if quantity >= before {
                holding.cost_basis
            } else {
                round_half_up(holding.cost_basis * quantity / before, 8)
            };
            holding.cost_basis -= removed;
            let proceeds = quote_qty - fee;
            wallet.entry(Asset::Usdt).free += proceeds;
            wallet.realized_pnl += proceeds - removed;
            Fill {
                quantity,
                price,
                quote_qty,
                fee,
                fee_asset: Asset::Usdt,
                is_maker,
            }
        }
    }
}

/// A position valued at `current_price` (average-cost method, the spec's rounding).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// The pair.
    pub symbol: Symbol,
    /// Base quantity held (free plus locked).
    pub quantity: Decimal,
    /// `cost_basis / quantity`, half-up to 8 places.
    pub average_price: Decimal,
    /// USDT paid for what is held.
    pub cost_basis: Decimal,
    /// The feed price.
    pub current_price: Decimal,
    /// `quantity × current_price`.
    pub market_value: Decimal,
    /// `market_value − cost_basis`.
    pub unrealized_pnl: Decimal,
    /// `unrealized_pnl / cost_basis × 100`, half-up to 2 places (0 without cost).
    pub unrealized_pnl_percent: Decimal,
}

/// The position in `symbol`, if any base is held.
pub fn position(wallet: &Wallet, symbol: Symbol, current_price: Decimal) -> Option<Position> {
    let holding = wallet.balance(symbol.base());
    let quantity = holding.total();
    if quantity.is_zero() {
        return None;
    }
    let market_value = quantity * current_price;
    let unrealized = market_value - holding.cost_basis;
    let percent = if holding.cost_basis.is_zero() {
        Decimal::ZERO
    } else {
        round_half_up(unrealized / holding.cost_basis * Decimal::ONE_HUNDRED, 2)
    };
    Some(Position {
        symbol,
        quantity,
        average_price: round_half_up(holding.cost_basis / quantity, 8),
        cost_basis: holding.cost_basis,
        current_price,
        market_value,
        unrealized_pnl: unrealized,
        unrealized_pnl_percent: percent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn market_buy_quote(quote: &str) -> NewOrder {
        NewOrder {
            symbol: Symbol::Btc,
            side: Side::Buy,
            order_type: OrderType::Market,
            quantity: None,
            quote_order_qty: Some(d(quote)),
            price: None,
            time_in_force: None,
        }
    }

    fn limit(side: Side, symbol: Symbol, qty: &str, price: &str, tif: Option<TimeInForce>) -> NewOrder {
        NewOrder {
            symbol,
            side,
            order_type: OrderType::Limit,
            quantity: Some(d(qty)),
            quote_order_qty: None,
            price: Some(d(price)),
            time_in_force: tif,
        }
    }

    const FEE: &str = "0.001";

    #[test]
    fn a_market_buy_by_quote_amount_spends_at_most_the_amount() {
        let mut w = Wallet::new_demo();
        let p = place(&mut w, &market_buy_quote("100"), d("68965.52"), d(FEE)).unwrap();
        assert_eq!(p.orig_qty, d("0.00144"));
        let fill = p.fill.unwrap();
        assert_eq!(fill.quote_qty, d("99.3103488"));
        assert_eq!(fill.fee, d("0.00000144"));
        assert_eq!(fill.fee_asset, Asset::Base(Symbol::Btc));
        assert_eq!(p.status, OrderStatus::Filled);
        assert_eq!(w.balance(Asset::Usdt).free, d("9900.6896512"));
        let btc = w.balance(Symbol::Btc.base());
        assert_eq!(btc.free, d("0.00143856"));
        assert_eq!(btc.cost_basis, d("99.3103488"));
        // The spec's positions example.
        let pos = position(&w, Symbol::Btc, d("69120.33")).unwrap();
        assert_eq!(pos.average_price, d("69034.55455455"));
        assert_eq!(pos.market_value, d("99.4337419248"));
        assert_eq!(pos.unrealized_pnl, d("0.1233931248"));
        assert_eq!(pos.unrealized_pnl_percent, d("0.12"));
    }

    #[test]
    fn a_resting_limit_locks_then_fills_or_releases() {
        let mut w = Wallet::new_demo();
        let buy = limit(Side::Buy, Symbol::Eth, "0.5", "3200", None);
        let p = place(&mut w, &buy, d("3512.47"), d(FEE)).unwrap();
        assert_eq!(
            (p.status, p.locked, p.time_in_force),
            (OrderStatus::New, d("1600"), Some(TimeInForce::Gtc))
        );
        assert_eq!(w.balance(Asset::Usdt).free, d("8400"));
        assert_eq!(w.balance(Asset::Usdt).locked, d("1600"));
        let fill = fill_resting(&mut w, Symbol::Eth, Side::Buy, d("0.5"), d("3200"), d("1600"), d(FEE));
        assert!(fill.is_maker);
        assert_eq!(
            w.balance(Asset::Usdt),
            Balance {
                free: d("8400"),
                locked: d("0"),
                cost_basis: d("0")
            }
        );
        assert_eq!(w.balance(Symbol::Eth.base()).free, d("0.4995"));
        // Sell half of it resting, then cancel: the base comes back.
        let sell = limit(Side::Sell, Symbol::Eth, "0.2", "4000", Some(TimeInForce::Gtc));
        let p = place(&mut w, &sell, d("3512.47"), d(FEE)).unwrap();
        assert_eq!(w.balance(Symbol::Eth.base()).locked, d("0.2"));
        release(&mut w, Symbol::Eth, Side::Sell, p.locked);
        assert_eq!(
            w.balance(Symbol::Eth.base()),
            Balance {
                free: d("0.4995"),
                locked: d("0"),
                cost_basis: d("1600")
            }
        );
    }

    #[test]
    fn a_marketable_limit_fills_at_the_market_price_and_ioc_fok_expire_otherwise() {
        let mut w = Wallet::new_demo();
        let p = place(
            &mut w,
            &limit(Side::Buy, Symbol::Eth, "1", "3600", Some(TimeInForce::Fok)),
            d("3512.47"),
            d(FEE),
        )
        .unwrap();
        assert_eq!(p.status, OrderStatus::Filled);
        assert_eq!(p.price, d("3600"), "a LIMIT order shows its limit price");
        assert_eq!(p.fill.unwrap().price, d("3512.47"));
        let before = w.clone();
        for tif in [TimeInForce::Ioc, TimeInForce::Fok] {
            let p = place(
                &mut w,
                &limit(Side::Sell, Symbol::Eth, "0.5", "9000", Some(tif)),
                d("3512.47"),
                d(FEE),
            )
            .unwrap();
            assert_eq!((p.status, p.fill), (OrderStatus::Expired, None));
        }
        assert_eq!(w, before, "expired orders move nothing");
    }

    #[test]
    fn selling_realizes_pnl_against_average_cost_and_the_books_balance() {
        let mut w = Wallet::new_demo();
        let buy = NewOrder {
            quantity: Some(d("1")),
            quote_order_qty: None,
            ..market_buy_quote("0")
        };
        let buy = NewOrder {
            symbol: Symbol::Eth,
            ..buy
        };
        place(&mut w, &buy, d("3000"), d(FEE)).unwrap();
        let sell = NewOrder {
            side: Side::Sell,
            quantity: Some(d("0.5")),
            ..buy.clone()
        };
        let p = place(&mut w, &sell, d("3300"), d(FEE)).unwrap();
        assert_eq!(p.fill.unwrap().fee, d("1.65"));
        let eth = w.balance(Symbol::Eth.base());
        assert_eq!(eth.free, d("0.499"));
        // Sold 0.5 of 0.999 held: cost removed = 3000 × 0.5 / 0.999, rounded to 8 places.
        assert_eq!(eth.cost_basis, d("3000") - d("1501.50150150"));
        assert_eq!(w.realized_pnl, d("1648.35") - d("1501.50150150"));
        // cash − initial = realized − Σ cost basis, whatever the prices.
        let cash = w.balance(Asset::Usdt).total();
        assert_eq!(cash - Decimal::from(INITIAL_USDT), w.realized_pnl - eth.cost_basis);
    }

    #[test]
    fn rules_are_refused_with_messages_naming_them() {
        let mut w = Wallet::new_demo();
        let err = |o: &NewOrder| place(&mut w.clone(), o, d("3512.47"), d(FEE)).unwrap_err();
        let rule = |e: OrderError| match e {
            OrderError::Rule(m) => m,
            other => panic!("{other:?}"),
        };
        assert!(
            rule(err(&limit(Side::Buy, Symbol::Eth, "0.00005", "3200", None))).starts_with("Filter failure: LOT_SIZE")
        );
        assert!(
            rule(err(&limit(Side::Buy, Symbol::Eth, "0.5", "3200.005", None)))
                .starts_with("Filter failure: PRICE_FILTER")
        );
        assert!(
            rule(err(&limit(Side::Buy, Symbol::Eth, "0.001", "3200", None))).starts_with("Filter failure: NOTIONAL")
        );
        assert_eq!(
            rule(err(&limit(Side::Buy, Symbol::Eth, "5", "3200", None))),
            "Insufficient balance: requires 16000 USDT, available 10000 USDT"
        );
        assert_eq!(
            rule(err(&limit(Side::Sell, Symbol::Eth, "0.5", "3500", None))),
            "Insufficient balance: requires 0.5 ETH, available 0 ETH"
        );
        let both = NewOrder {
            quantity: Some(d("1")),
            ..market_buy_quote("100")
        };
        assert!(matches!(err(&both), OrderError::Field("quantity", _)));
        let priced = NewOrder {
            price: Some(d("1")),
            ..market_buy_quote("100")
        };
        assert!(matches!(err(&priced), OrderError::Field("price", _)));
        assert!(matches!(
            err(&market_buy_quote("1.123456789")),
            OrderError::Field("quoteOrderQty", _)
        ));
        assert!(matches!(
            err(&market_buy_quote("-5")),
            OrderError::Field("quoteOrderQty", _)
        ));
        let no_price = NewOrder {
            price: None,
            ..limit(Side::Buy, Symbol::Eth, "1", "1", None)
        };
        assert!(matches!(err(&no_price), OrderError::Field("price", _)));
        w = Wallet::new_demo();
        assert_eq!(w.balance(Asset::Usdt).free, d("10000"));
    }
}
