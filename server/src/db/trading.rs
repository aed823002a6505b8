//! Paper-trading storage: demo wallets and balances, orders, fills and idempotency keys,
//! written once for both backends.
//!
//! Every change to a user's trading state runs in one write transaction that first bumps the
//! user's wallet row (`revision + 1`): on PostgreSQL that row lock queues the user's
//! concurrent orders one behind another, on SQLite the `BEGIN IMMEDIATE` transaction already
//! does. Balances are then read, changed by the pure rules of [`crate::domain::trading`],
//! and written back in the same transaction, so they never go negative and a crash leaves
//! nothing half-written.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::RunQueryDsl;
use rust_decimal::Decimal;

use super::idempotency::{KeyLookup, claim_key, remember_key};
use super::schema::{trading_balances, trading_orders, trading_trades, trading_wallets};
use super::{DbConn, DbError};
use crate::domain::symbols::{Asset, Symbol};
use crate::domain::trading::{self, Fill, NewOrder, OrderError, OrderStatus, OrderType, Side, Wallet};
use crate::{with_conn, write_tx};

/// The operation name idempotency keys of order placement are stored under.
pub const PLACE_ORDER: &str = "place_order";

/// A row of `trading_orders`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = trading_orders)]
pub struct OrderRow {
    /// `orderId`.
    pub id: i64,
    /// The owner.
    pub user_id: String,
    /// The caller's id for the order.
    pub client_order_id: Option<String>,
    /// The pair.
    pub symbol: String,
    /// BUY or SELL.
    pub side: String,
    /// MARKET or LIMIT.
    pub order_type: String,
    /// GTC, IOC or FOK.
    pub time_in_force: Option<String>,
    /// Status.
    pub status: String,
    /// Base quantity ordered.
    pub orig_qty: String,
    /// `quoteOrderQty` given.
    pub orig_quote_order_qty: Option<String>,
    /// Base filled.
    pub executed_qty: String,
    /// USDT value of the fills.
    pub cumulative_quote_qty: String,
    /// Limit price, or a MARKET order's fill price.
    pub price: String,
    /// The limit price in ticks (0 for MARKET).
    pub price_ticks: i64,
    /// Fee charged.
    pub fee: String,
    /// The fee's asset.
    pub fee_asset: String,
    /// Funds still locked.
    pub locked_amount: String,
    /// Hash of the canonical request.
    pub request_hash: String,
    /// The 201 body as first sent.
    pub placed_response: String,
    /// Placement time, milliseconds.
    pub transact_time: i64,
    /// When placed.
    pub created_at: NaiveDateTime,
    /// Last change.
    pub updated_at: NaiveDateTime,
}

/// A row of `trading_trades`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = trading_trades)]
pub struct TradeRow {
    /// `trade-…`.
    pub id: String,
    /// The order filled.
    pub order_id: i64,
    /// The owner.
    pub user_id: String,
    /// The pair.
    pub symbol: String,
    /// The order's side.
    pub side: String,
    /// The order's type.
    pub order_type: String,
    /// Base quantity.
    pub quantity: String,
    /// Fill price.
    pub price: String,
    /// `quantity × price`.
    pub quote_qty: String,
    /// Fee.
    pub fee: String,
    /// Fee asset.
    pub fee_asset: String,
    /// Whether a resting order filled.
    pub is_maker: bool,
    /// When.
    pub executed_at: NaiveDateTime,
}

/// Parses stored decimal text.
pub fn dec(text: &str) -> Result<Decimal, DbError> {
    Decimal::from_str(text).map_err(|e| DbError::Other(format!("stored decimal `{text}`: {e}")))
}

fn text(d: Decimal) -> String {
    d.normalize().to_string()
}

/// The market at the moment of a change: the clock and the fee.
#[derive(Debug, Clone, Copy)]
pub struct Moment {
    /// Milliseconds since the epoch.
    pub now_ms: i64,
    /// The fee rate.
    pub fee_rate: Decimal,
}

impl Moment {
    /// `now_ms` as a stored timestamp.
    pub fn timestamp(&self) -> NaiveDateTime {
        chrono::DateTime::from_timestamp_millis(self.now_ms)
            .unwrap_or_default()
            .naive_utc()
    }
}

/// Creates the user's demo wallet if needed and takes the per-user lock; evaluates to the
/// wallet as stored.
macro_rules! lock_wallet {
    ($c:expr, $user:expr, $now:expr) => {{
        let created = diesel::insert_into(trading_wallets::table)
            .values((
                trading_wallets::user_id.eq($user),
                trading_wallets::initial_balance.eq(trading::INITIAL_USDT.to_string()),
                trading_wallets::realized_pnl.eq("0"),
                trading_wallets::revision.eq(0i64),
                trading_wallets::created_at.eq($now),
                trading_wallets::updated_at.eq($now),
            ))
            .on_conflict_do_nothing()
            .execute($c)
            .await?;
        if created == 1 {
            diesel::insert_into(trading_balances::table)
                .values((
                    trading_balances::user_id.eq($user),
                    trading_balances::asset.eq(Asset::Usdt.as_str()),
                    trading_balances::free.eq(trading::INITIAL_USDT.to_string()),
                    trading_balances::locked.eq("0"),
                    trading_balances::cost_basis.eq("0"),
                ))
                .execute($c)
                .await?;
        }
        diesel::update(trading_wallets::table.find($user))
            .set(trading_wallets::revision.eq(trading_wallets::revision + 1i64))
            .execute($c)
            .await?;
        load_wallet!($c, $user)
    }};
}

/// Reads the user's stored wallet (`None` before the first order).
macro_rules! load_wallet {
    ($c:expr, $user:expr) => {{
        let realized: Option<String> = trading_wallets::table
            .find($user)
            .select(trading_wallets::realized_pnl)
            .first($c)
            .await
            .optional()?;
        match realized {
            None => None,
            Some(realized) => {
                let rows: Vec<(String, String, String, String)> = trading_balances::table
                    .filter(trading_balances::user_id.eq($user))
                    .select((
                        trading_balances::asset,
                        trading_balances::free,
                        trading_balances::locked,
                        trading_balances::cost_basis,
                    ))
                    .load($c)
                    .await?;
                let mut balances = BTreeMap::new();
                for (asset, free, locked, cost) in rows {
                    let asset = Asset::from_str(&asset).map_err(DbError::Other)?;
                    balances.insert(
                        asset,
                        trading::Balance {
                            free: dec(&free)?,
                            locked: dec(&locked)?,
                            cost_basis: dec(&cost)?,
                        },
                    );
                }
                Some(Wallet {
                    balances,
                    realized_pnl: dec(&realized)?,
                })
            }
        }
    }};
}

/// Writes the balances (and realized P&L) of `$after` that differ from `$before`.
macro_rules! save_wallet {
    ($c:expr, $user:expr, $before:expr, $after:expr, $now:expr) => {{
        for (asset, balance) in &$after.balances {
            if $before.balances.get(asset) == Some(balance) {
                continue;
            }
            debug_assert!(balance.free >= Decimal::ZERO && balance.locked >= Decimal::ZERO);
            diesel::insert_into(trading_balances::table)
                .values((
                    trading_balances::user_id.eq($user),
                    trading_balances::asset.eq(asset.as_str()),
                    trading_balances::free.eq(text(balance.free)),
                    trading_balances::locked.eq(text(balance.locked)),
                    trading_balances::cost_basis.eq(text(balance.cost_basis)),
                ))
                .on_conflict((trading_balances::user_id, trading_balances::asset))
                .do_update()
                .set((
                    trading_balances::free.eq(excluded(trading_balances::free)),
                    trading_balances::locked.eq(excluded(trading_balances::locked)),
                    trading_balances::cost_basis.eq(excluded(trading_balances::cost_basis)),
                ))
                .execute($c)
                .await?;
        }
        diesel::update(trading_wallets::table.find($user))
            .set((
                trading_wallets::realized_pnl.eq(text($after.realized_pnl)),
                trading_wallets::updated_at.eq($now),
            ))
            .execute($c)
            .await?;
    }};
}

/// The stored form of `fill` of `order`.
fn trade_row(order: &OrderRow, fill: &Fill, now: NaiveDateTime) -> TradeRow {
    TradeRow {
        id: crate::auth::secret::id("trade"),
        order_id: order.id,
        user_id: order.user_id.clone(),
        symbol: order.symbol.clone(),
        side: order.side.clone(),
        order_type: order.order_type.clone(),
        quantity: text(fill.quantity),
        price: text(fill.price),
        quote_qty: text(fill.quote_qty),
        fee: text(fill.fee),
        fee_asset: fill.fee_asset.as_str().to_owned(),
        is_maker: fill.is_maker,
        executed_at: now,
    }
}

/// Stores the fill of the resting order `$order` and marks the order FILLED.
macro_rules! record_fill {
    ($c:expr, $order:expr, $fill:expr, $now:expr) => {{
        let order: &OrderRow = $order;
        let fill: &Fill = $fill;
        diesel::insert_into(trading_trades::table)
            .values(&trade_row(order, fill, $now))
            .execute($c)
            .await?;
        diesel::update(trading_orders::table.find(order.id))
            .set((
                trading_orders::status.eq(OrderStatus::Filled.as_str()),
                trading_orders::executed_qty.eq(text(fill.quantity)),
                trading_orders::cumulative_quote_qty.eq(text(fill.quote_qty)),
                trading_orders::fee.eq(text(fill.fee)),
                trading_orders::locked_amount.eq("0"),
                trading_orders::updated_at.eq($now),
            ))
            .execute($c)
            .await?;
    }};
}

/// A user's wallet, or a new demo wallet's contents before the first order.
pub async fn wallet(conn: &mut DbConn, user_id: &str) -> Result<Wallet, DbError> {
    let stored: Option<Wallet> = with_conn!(conn, c => {
        let loaded: Result<Option<Wallet>, DbError> = async { Ok(load_wallet!(c, user_id)) }.await;
        loaded
    })?;
    Ok(stored.unwrap_or_else(Wallet::new_demo))
}

/// An order to place, as the API parsed it.
#[derive(Debug, Clone)]
pub struct PlaceRequest {
    /// The order.
    pub order: NewOrder,
    /// The caller's id for it.
    pub client_order_id: Option<String>,
    /// The `Idempotency-Key` header.
    pub idempotency_key: Option<String>,
    /// Hash of the canonical request (equal for retries of the same request).
    pub request_hash: String,
}

/// What placing came to.
#[derive(Debug, Clone)]
pub enum Placed {
    /// A new order (with its fill, if it filled).
    New(Box<OrderRow>, Option<Box<TradeRow>>),
    /// A retry: the first answer's body, as stored.
    Replay(String),
}

/// Why placing failed.
#[derive(Debug)]
pub enum PlaceError {
    /// A rule refused the order (400).
    Order(OrderError),
    /// The `clientOrderId` or `Idempotency-Key` was used with another request (409).
    Reused(&'static str),
    /// Storage failed.
    Db(DbError),
}

impl From<DbError> for PlaceError {
    fn from(e: DbError) -> Self {
        Self::Db(e)
    }
}

impl From<diesel::result::Error> for PlaceError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(e.into())
    }
}

/// Places an order for `user_id` at `market_price`, in one transaction under the user's
/// wallet lock: retries (same `clientOrderId` or `Idempotency-Key`) return the first answer,
/// `respond` renders the 201 body stored for them.
pub async fn place(
    conn: &mut DbConn,
    user_id: &str,
    request: &PlaceRequest,
    market_price: Decimal,
    moment: Moment,
    respond: &(dyn Fn(&OrderRow, Option<&TradeRow>) -> String + Sync),
) -> Result<Placed, PlaceError> {
    let now = moment.timestamp();
    write_tx!(conn, c => {
        let before = lock_wallet!(c, user_id, now).ok_or(DbError::NotFound)?;
        // Retries first: an Idempotency-Key, then a clientOrderId.
        if let Some(key) = &request.idempotency_key {
            match claim_key!(c, user_id, PLACE_ORDER, key, &request.request_hash, now)? {
                KeyLookup::Mismatch => return Err(PlaceError::Reused("Idempotency-Key")),
                KeyLookup::Replay { response: Some(body), .. } => return Ok(Placed::Replay(body)),
                KeyLookup::Replay { resource_id, response: None } => {
                    let id: i64 = resource_id.parse().map_err(|_| DbError::Other("idempotency resource".into()))?;
                    let body: String = trading_orders::table
                        .find(id)
                        .select(trading_orders::placed_response)
                        .first(c)
                        .await?;
                    return Ok(Placed::Replay(body));
                }
                KeyLookup::New => {}
            }
        }
        if let Some(coid) = &request.client_order_id {
            let seen: Option<(i64, String, String)> = trading_orders::table
                .filter(trading_orders::user_id.eq(user_id))
                .filter(trading_orders::client_order_id.eq(coid))
                .select((trading_orders::id, trading_orders::request_hash, trading_orders::placed_response))
                .first(c)
                .await
                .optional()?;
            if let Some((id, hash, body)) = seen {
                if hash != request.request_hash {
                    return Err(PlaceError::Reused("clientOrderId"));
                }
                // A new Idempotency-Key on a retried clientOrderId now stands for that order.
                if let Some(key) = &request.idempotency_key {
                    remember_key!(c, user_id, PLACE_ORDER, key, id.to_string(), Some(body.as_str()))?;
                }
                return Ok(Placed::Replay(body));
            }
        }
        let mut after = before.clone();
        let placement = trading::place(&mut after, &request.order, market_price, moment.fee_rate)
            .map_err(PlaceError::Order)?;
        let order = &request.order;
        let filters = order.symbol.filters();
        let price_ticks = match order.order_type {
            OrderType::Limit => (placement.price / filters.tick_size).trunc().try_into().unwrap_or(i64::MAX),
            OrderType::Market => 0,
        };
        let fee_asset = trading::received_asset(order.symbol, order.side);
        // The order is stored in its state after placement, fill included.
        let (executed, cumulative, fee) = match &placement.fill {
            Some(fill) => (fill.quantity, fill.quote_qty, fill.fee),
            None => (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO),
        };
        let mut row: OrderRow = diesel::insert_into(trading_orders::table)
            .values((
                trading_orders::user_id.eq(user_id),
                trading_orders::client_order_id.eq(&request.client_order_id),
                trading_orders::symbol.eq(order.symbol.as_str()),
                trading_orders::side.eq(order.side.as_str()),
                trading_orders::order_type.eq(order.order_type.as_str()),
                trading_orders::time_in_force.eq(placement.time_in_force.map(|t| t.as_str())),
                trading_orders::status.eq(placement.status.as_str()),
                trading_orders::orig_qty.eq(text(placement.orig_qty)),
                trading_orders::orig_quote_order_qty.eq(order.quote_order_qty.map(text)),
                trading_orders::executed_qty.eq(text(executed)),
                trading_orders::cumulative_quote_qty.eq(text(cumulative)),
                trading_orders::price.eq(text(placement.price)),
                trading_orders::price_ticks.eq(price_ticks),
                trading_orders::fee.eq(text(fee)),
                trading_orders::fee_asset.eq(fee_asset.as_str()),
                trading_orders::locked_amount.eq(text(placement.locked)),
                trading_orders::request_hash.eq(&request.request_hash),
                trading_orders::placed_response.eq(""),
                trading_orders::transact_time.eq(moment.now_ms),
                trading_orders::created_at.eq(now),
                trading_orders::updated_at.eq(now),
            ))
            .returning(OrderRow::as_returning())
            .get_result(c)
            .await?;
        let id = row.id;
        let trade = placement.fill.as_ref().map(|fill| trade_row(&row, fill, now));
        if let Some(trade) = &trade {
            diesel::insert_into(trading_trades::table).values(trade).execute(c).await?;
        }
        save_wallet!(c, user_id, before, after, now);
        let body = respond(&row, trade.as_ref());
        diesel::update(trading_orders::table.find(id))
            .set(trading_orders::placed_response.eq(&body))
            .execute(c)
            .await?;
        row.placed_response = body;
        if let Some(key) = &request.idempotency_key {
            remember_key!(c, user_id, PLACE_ORDER, key, id.to_string(), Some(row.placed_response.as_str()))?;
        }
        Ok::<_, PlaceError>(Placed::New(Box::new(row), trade.map(Box::new)))
    })
}

/// The order `id` of `user_id` (another user's order is [`DbError::NotFound`]).
pub async fn find_order(conn: &mut DbConn, user_id: &str, id: i64) -> Result<OrderRow, DbError> {
    Ok(with_conn!(conn, c => trading_orders::table
        .find(id)
        .filter(trading_orders::user_id.eq(user_id))
        .select(OrderRow::as_select())
        .first(c)
        .await)?)
}

/// Why a cancellation failed.
#[derive(Debug)]
pub enum CancelError {
    /// The order is no longer open; its status.
    NotOpen(String),
    /// Storage failed (or no such order of the user: [`DbError::NotFound`]).
    Db(DbError),
}

impl From<DbError> for CancelError {
    fn from(e: DbError) -> Self {
        Self::Db(e)
    }
}

impl From<diesel::result::Error> for CancelError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Db(e.into())
    }
}

/// Cancels an open order of `user_id`, releasing its locked funds, in one transaction under
/// the wallet lock.
pub async fn cancel(conn: &mut DbConn, user_id: &str, id: i64, moment: Moment) -> Result<OrderRow, CancelError> {
    let now = moment.timestamp();
    write_tx!(conn, c => {
        let before = lock_wallet!(c, user_id, now).ok_or(DbError::NotFound)?;
        let order: OrderRow = trading_orders::table
            .find(id)
            .filter(trading_orders::user_id.eq(user_id))
            .select(OrderRow::as_select())
            .first(c)
            .await?;
        let status = OrderStatus::from_str(&order.status).map_err(DbError::Other)?;
        if !status.is_open() {
            return Err(CancelError::NotOpen(order.status));
        }
        let symbol = Symbol::from_str(&order.symbol).map_err(DbError::Other)?;
        let side = Side::from_str(&order.side).map_err(DbError::Other)?;
        let mut after = before.clone();
        trading::release(&mut after, symbol, side, dec(&order.locked_amount)?);
        diesel::update(trading_orders::table.find(id))
            .set((
                trading_orders::status.eq(OrderStatus::Canceled.as_str()),
                trading_orders::locked_amount.eq("0"),
                trading_orders::updated_at.eq(now),
            ))
            .execute(c)
            .await?;
        save_wallet!(c, user_id, before, after, now);
        let row: OrderRow = trading_orders::table.find(id).select(OrderRow::as_select()).first(c).await?;
        Ok::<_, CancelError>(row)
    })
}

/// The open (NEW) orders of `user_id`.
pub async fn open_orders(conn: &mut DbConn, user_id: &str) -> Result<Vec<OrderRow>, DbError> {
    Ok(with_conn!(conn, c => trading_orders::table
        .filter(trading_orders::user_id.eq(user_id))
        .filter(trading_orders::status.eq(OrderStatus::New.as_str()))
        .order(trading_orders::id.asc())
        .select(OrderRow::as_select())
        .load(c)
        .await)?)
}

/// Fills the open orders of `user_id` for which `crossed` says the market reached their
/// price, in one transaction under the wallet lock (the orders are re-read under the lock,
/// so each fills once however many matchers race). `skip_if_busy`: on PostgreSQL, give up
/// at once (returning 0) when another transaction holds the wallet (`SKIP LOCKED`), as the
/// background matcher does. Returns how many orders filled.
pub async fn fill_crossed(
    conn: &mut DbConn,
    user_id: &str,
    moment: Moment,
    skip_if_busy: bool,
    crossed: &(dyn Fn(&OrderRow) -> bool + Sync),
) -> Result<usize, DbError> {
    let now = moment.timestamp();
    let postgres = matches!(conn, DbConn::Postgres(_));
    write_tx!(conn, c => {
        if postgres && skip_if_busy {
            // (Raw SQL: diesel's `.for_update()` does not compile for SQLite, and this text
            // serves both expansions of the macro though only PostgreSQL runs it.)
            let free = diesel::sql_query("SELECT user_id FROM trading_wallets WHERE user_id = $1 FOR UPDATE SKIP LOCKED")
                .bind::<diesel::sql_types::Text, _>(user_id)
                .execute(c)
                .await?;
            if free == 0 {
                return Ok(0);
            }
        }
        let before = lock_wallet!(c, user_id, now).ok_or(DbError::NotFound)?;
        let open: Vec<OrderRow> = trading_orders::table
            .filter(trading_orders::user_id.eq(user_id))
            .filter(trading_orders::status.eq(OrderStatus::New.as_str()))
            .order(trading_orders::id.asc())
            .select(OrderRow::as_select())
            .load(c)
            .await?;
        let mut after = before.clone();
        let mut filled = 0;
        for order in open.iter().filter(|o| crossed(o)) {
            let symbol = Symbol::from_str(&order.symbol).map_err(DbError::Other)?;
            let side = Side::from_str(&order.side).map_err(DbError::Other)?;
            let fill = trading::fill_resting(
                &mut after,
                symbol,
                side,
                dec(&order.orig_qty)?,
                dec(&order.price)?,
                dec(&order.locked_amount)?,
                moment.fee_rate,
            );
            record_fill!(c, order, &fill, now);
            filled += 1;
        }
        if filled > 0 {
            save_wallet!(c, user_id, before, after, now);
        }
        Ok::<_, DbError>(filled)
    })
}

/// Users with an open order of `symbol` whose limit the range `[low_ticks, high_ticks]`
/// crosses (BUY at or above the low, SELL at or below the high): the matcher's candidates.
pub async fn users_with_crossed_orders(
    conn: &mut DbConn,
    symbol: Symbol,
    low_ticks: i64,
    high_ticks: i64,
) -> Result<Vec<String>, DbError> {
    Ok(with_conn!(conn, c => trading_orders::table
        .filter(trading_orders::symbol.eq(symbol.as_str()))
        .filter(trading_orders::status.eq(OrderStatus::New.as_str()))
        .filter(
            trading_orders::side
                .eq(Side::Buy.as_str())
                .and(trading_orders::price_ticks.ge(low_ticks))
                .or(trading_orders::side
                    .eq(Side::Sell.as_str())
                    .and(trading_orders::price_ticks.le(high_ticks))),
        )
        .select(trading_orders::user_id)
        .distinct()
        .load(c)
        .await)?)
}

/// The placement time of the oldest open order, if any (where a starting matcher looks back to).
pub async fn oldest_open_order_ms(conn: &mut DbConn) -> Result<Option<i64>, DbError> {
    Ok(with_conn!(conn, c => trading_orders::table
        .filter(trading_orders::status.eq(OrderStatus::New.as_str()))
        .select(diesel::dsl::min(trading_orders::transact_time))
        .first::<Option<i64>>(c)
        .await)?)
}

/// Filters of the order and trade lists.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only this status (orders only).
    pub status: Option<OrderStatus>,
    /// Only this symbol.
    pub symbol: Option<Symbol>,
    /// Only this side.
    pub side: Option<Side>,
}

macro_rules! filtered_orders {
    ($user:expr, $f:expr) => {{
        let mut q = trading_orders::table
            .filter(trading_orders::user_id.eq($user))
            .into_boxed();
        if let Some(status) = $f.status {
            q = q.filter(trading_orders::status.eq(status.as_str()));
        }
        if let Some(symbol) = $f.symbol {
            q = q.filter(trading_orders::symbol.eq(symbol.as_str()));
        }
        if let Some(side) = $f.side {
            q = q.filter(trading_orders::side.eq(side.as_str()));
        }
        q
    }};
}

macro_rules! filtered_trades {
    ($user:expr, $f:expr) => {{
        let mut q = trading_trades::table
            .filter(trading_trades::user_id.eq($user))
            .into_boxed();
        if let Some(symbol) = $f.symbol {
            q = q.filter(trading_trades::symbol.eq(symbol.as_str()));
        }
        if let Some(side) = $f.side {
            q = q.filter(trading_trades::side.eq(side.as_str()));
        }
        q
    }};
}

/// One page of the user's orders, newest first, and the total matching.
pub async fn list_orders(
    conn: &mut DbConn,
    user_id: &str,
    filter: &ListFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<OrderRow>, i64), DbError> {
    Ok(with_conn!(conn, c => {
        let total: Result<i64, diesel::result::Error> = filtered_orders!(user_id, filter).count().get_result(c).await;
        let total = total?;
        let rows = filtered_orders!(user_id, filter)
            .order((trading_orders::created_at.desc(), trading_orders::id.desc()))
            .limit(limit)
            .offset(offset)
            .select(OrderRow::as_select())
            .load(c)
            .await?;
        Ok::<_, diesel::result::Error>((rows, total))
    })?)
}

/// One page of the user's fills, newest first, and the total matching.
pub async fn list_trades(
    conn: &mut DbConn,
    user_id: &str,
    filter: &ListFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<TradeRow>, i64), DbError> {
    Ok(with_conn!(conn, c => {
        let total: Result<i64, diesel::result::Error> = filtered_trades!(user_id, filter).count().get_result(c).await;
        let total = total?;
        let rows = filtered_trades!(user_id, filter)
            .order((trading_trades::executed_at.desc(), trading_trades::id.desc()))
            .limit(limit)
            .offset(offset)
            .select(TradeRow::as_select())
            .load(c)
            .await?;
        Ok::<_, diesel::result::Error>((rows, total))
    })?)
}

/// Every fill of the user (ledger checks and history totals).
pub async fn all_trades(conn: &mut DbConn, user_id: &str) -> Result<Vec<TradeRow>, DbError> {
    Ok(with_conn!(conn, c => trading_trades::table
        .filter(trading_trades::user_id.eq(user_id))
        .order(trading_trades::executed_at.asc())
        .select(TradeRow::as_select())
        .load(c)
        .await)?)
}
