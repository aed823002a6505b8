//! Trading group: paper-trading orders, balances, positions, portfolio and trade history for
//! the caller (user token, cookie, or client token with `trading:read` / `trading:write`).
//! Handlers parse, call the engine and the store, and shape seed 000's bodies; the rules
//! live in `domain::trading`, the transactions in `db::trading`.

use std::str::FromStr;

use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi};
use rust_decimal::Decimal;

use super::ApiTags;
use super::auth::Created;
use super::market::TradingSymbol;
use super::statuses::{Secured, SecuredConflict, SecuredLookup};
use super::types::{
    DecimalInput, DecimalNumber, Nullable, SentNullable, Timestamp, default_page, default_page_size, from_stored,
    page_offset, to_stored, wire_enum,
};
use crate::auth::extract::{ClientCredentials, ClientScope, ServiceAuth, TradingRead, TradingWrite};
use crate::db::DbError;
use crate::db::trading::{
    self as store, CancelError, ListFilter, OrderRow, PlaceError, PlaceRequest, Placed, TradeRow, dec,
};
use crate::domain::symbols::{Asset, Symbol, round_half_up};
use crate::domain::trading::{self as rules, NewOrder, OrderError, OrderStatus, OrderType, Side, TimeInForce};
use crate::engine;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

wire_enum!(
    /// An asset of the demo wallet.
    TradingAsset => Asset {
        /// The quote asset.
        Usdt = Asset::Usdt,
        /// Bitcoin.
        Btc = Asset::Base(Symbol::Btc),
        /// Ether.
        Eth = Asset::Base(Symbol::Eth),
        /// BNB.
        Bnb = Asset::Base(Symbol::Bnb),
        /// Cardano.
        Ada = Asset::Base(Symbol::Ada),
        /// Dogecoin.
        Doge = Asset::Base(Symbol::Doge),
        /// XRP.
        Xrp = Asset::Base(Symbol::Xrp),
        /// Polkadot.
        Dot = Asset::Base(Symbol::Dot),
        /// Solana.
        Sol = Asset::Base(Symbol::Sol),
    }
);

wire_enum!(
    /// Order side (Binance).
    TradingSide => Side {
        /// Spend USDT for the base asset.
        Buy = Side::Buy,
        /// Sell the base asset for USDT.
        Sell = Side::Sell,
    }
);

wire_enum!(
    /// Order type.
    TradingOrderType => OrderType {
        /// Execute now at the feed price.
        Market = OrderType::Market,
        /// Execute at the limit price or better.
        Limit = OrderType::Limit,
    }
);

wire_enum!(
    /// How long a LIMIT order stays active.
    TradingTimeInForce => TimeInForce {
        /// Good till cancelled.
        Gtc = TimeInForce::Gtc,
        /// Immediate or cancel.
        Ioc = TimeInForce::Ioc,
        /// Fill or kill.
        Fok = TimeInForce::Fok,
    }
);

wire_enum!(
    /// Order status (Binance).
    TradingOrderStatus => OrderStatus {
        /// Resting, nothing filled.
        New = OrderStatus::New,
        /// Partly filled.
        PartiallyFilled = OrderStatus::PartiallyFilled,
        /// Completely filled.
        Filled = OrderStatus::Filled,
        /// Cancelled.
        Canceled = OrderStatus::Canceled,
        /// Expired (IOC/FOK that could not fill).
        Expired = OrderStatus::Expired,
        /// Refused.
        Rejected = OrderStatus::Rejected,
    }
);

/// Seed 000's exchange selector (accepted and ignored: paper trading only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum TradingExchange {
    /// Binance.
    Binance,
    /// OKX.
    Okx,
}

/// The order's status after a fill (always `FILLED` in the simulated market).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TradingTradeStatus {
    /// Completely filled.
    Filled,
    /// Partly filled.
    PartiallyFilled,
}

/// The currency of the portfolio's amounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum QuoteAsset {
    /// Tether.
    #[oai(rename = "USDT")]
    Usdt,
}

/// A new order (seed 000 / Binance field names).
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase", deny_unknown_fields)]
pub struct TradingPlaceOrderRequest {
    /// The pair to trade.
    pub symbol: TradingSymbol,
    /// `BUY` spends USDT for the base asset; `SELL` the reverse.
    pub side: TradingSide,
    /// Order type.
    #[oai(rename = "type")]
    pub order_type: TradingOrderType,
    /// Base-asset quantity.
    pub quantity: Option<DecimalInput>,
    /// MARKET only: the USDT amount to spend (BUY) or receive before fee (SELL).
    pub quote_order_qty: Option<DecimalInput>,
    /// LIMIT only: the limit price.
    pub price: Option<DecimalInput>,
    /// LIMIT only; `GTC` when absent.
    pub time_in_force: Option<TradingTimeInForce>,
    /// Your own id for the order, unique among your orders.
    pub client_order_id: Option<String>,
    /// Accepted for seed 000 compatibility and ignored.
    pub exchange: Option<TradingExchange>,
}

/// An order (seed 000's `order`, Binance names).
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct TradingOrder {
    /// The order's id.
    pub order_id: i64,
    /// The `clientOrderId` given, or `null`.
    pub client_order_id: SentNullable<String>,
    /// The pair.
    pub symbol: TradingSymbol,
    /// Side.
    pub side: TradingSide,
    /// Type.
    #[oai(rename = "type")]
    pub order_type: TradingOrderType,
    /// The LIMIT order's time in force; `null` for MARKET.
    pub time_in_force: SentNullable<TradingTimeInForce>,
    /// Current status.
    pub status: TradingOrderStatus,
    /// Base quantity ordered.
    #[oai(skip_serializing_if_is_none)]
    pub orig_qty: Option<DecimalNumber>,
    /// The `quoteOrderQty` given, or `null`.
    pub orig_quote_order_qty: SentNullable<DecimalNumber>,
    /// Base quantity filled.
    pub executed_qty: DecimalNumber,
    /// USDT value of the fills.
    #[oai(skip_serializing_if_is_none)]
    pub cumulative_quote_qty: Option<DecimalNumber>,
    /// LIMIT: the limit price; MARKET: the fill price.
    pub price: DecimalNumber,
    /// Fee charged, in `feeAsset`.
    #[oai(skip_serializing_if_is_none)]
    pub fee: Option<DecimalNumber>,
    /// The asset the fee is charged in.
    #[oai(skip_serializing_if_is_none)]
    pub fee_asset: Option<TradingAsset>,
    /// Placement time in milliseconds since the Unix epoch.
    pub transact_time: i64,
    /// Placement time.
    #[oai(skip_serializing_if_is_none)]
    pub created_at: Option<Timestamp>,
    /// Last change.
    #[oai(skip_serializing_if_is_none)]
    pub updated_at: Option<Timestamp>,
}

/// A fill (seed 000's `trade`).
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct TradingTrade {
    /// The trade's id.
    pub id: String,
    /// The pair.
    pub symbol: TradingSymbol,
    /// The order's side.
    pub side: TradingSide,
    /// The order's type.
    #[oai(rename = "type")]
    pub order_type: TradingOrderType,
    /// Base quantity filled.
    pub quantity: DecimalNumber,
    /// Fill price.
    pub price: DecimalNumber,
    /// `quantity × price`.
    #[oai(skip_serializing_if_is_none)]
    pub quote_qty: Option<DecimalNumber>,
    /// Fee charged on this fill.
    #[oai(skip_serializing_if_is_none)]
    pub fee: Option<DecimalNumber>,
    /// The fee's asset.
    #[oai(skip_serializing_if_is_none)]
    pub fee_asset: Option<TradingAsset>,
    /// Whether a resting order filled later.
    #[oai(skip_serializing_if_is_none)]
    pub is_maker: Option<bool>,
    /// The order's id as decimal text.
    pub order_id: String,
    /// The order's status after this fill.
    pub status: TradingTradeStatus,
    /// When the fill happened.
    pub executed_at: Timestamp,
}

/// Seed 000's answer to placing an order.
#[derive(Debug, Clone, Object)]
pub struct TradingPlaceOrderResponse {
    /// What happened.
    pub message: String,
    /// The fill made while placing, or `null`.
    pub trade: Nullable<TradingTrade>,
    /// The order as placed.
    pub order: TradingOrder,
}

/// One order.
#[derive(Debug, Clone, Object)]
pub struct TradingOrderResponse {
    /// The order in its current state.
    pub order: TradingOrder,
}

/// The answer to cancelling an order.
#[derive(Debug, Clone, Object)]
pub struct TradingCancelOrderResponse {
    /// Always `Order canceled successfully`.
    pub message: String,
    /// The order after cancellation.
    pub order: TradingOrder,
}

/// Seed 000's pagination object.
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct PageLimitPagination {
    /// This page's number.
    pub page: i64,
    /// Page size used.
    pub limit: i64,
    /// Items matching the filters.
    pub total_count: i64,
    /// Number of pages.
    pub total_pages: i64,
}

impl PageLimitPagination {
    fn of(page: i64, limit: i64, total: i64) -> Self {
        Self {
            page,
            limit,
            total_count: total,
            total_pages: (total + limit - 1) / limit,
        }
    }
}

/// One page of orders.
#[derive(Debug, Clone, Object)]
pub struct TradingOrderListResponse {
    /// The orders, newest first.
    pub orders: Vec<TradingOrder>,
    /// Where this page is.
    pub pagination: PageLimitPagination,
}

/// The holding of one asset.
#[derive(Debug, Clone, Object)]
pub struct TradingBalance {
    /// The asset.
    pub asset: TradingAsset,
    /// Available to trade.
    pub free: DecimalNumber,
    /// Held by resting orders.
    pub locked: DecimalNumber,
    /// `free + locked`.
    pub total: DecimalNumber,
}

/// The demo wallet's balances.
#[derive(Debug, Clone, Object)]
pub struct TradingBalancesResponse {
    /// USDT first, then each base asset with a non-zero balance.
    pub balances: Vec<TradingBalance>,
}

/// A holding valued in USDT.
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct TradingPosition {
    /// The pair.
    pub symbol: TradingSymbol,
    /// The base asset held.
    pub asset: TradingAsset,
    /// Base quantity held.
    pub quantity: DecimalNumber,
    /// `costBasis / quantity`.
    pub average_price: DecimalNumber,
    /// USDT paid for the quantity held.
    pub cost_basis: DecimalNumber,
    /// The feed's current price.
    pub current_price: DecimalNumber,
    /// `quantity × currentPrice`.
    pub market_value: DecimalNumber,
    /// `marketValue − costBasis`.
    pub unrealized_pnl: DecimalNumber,
    /// `unrealizedPnl / costBasis × 100`.
    pub unrealized_pnl_percent: DecimalNumber,
}

/// The caller's open positions.
#[derive(Debug, Clone, Object)]
pub struct TradingPositionsResponse {
    /// One entry per base asset held.
    pub positions: Vec<TradingPosition>,
}

/// Totals of the demo wallet in USDT.
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct TradingPortfolio {
    /// The currency of every amount.
    pub quote_asset: QuoteAsset,
    /// Starting USDT.
    pub initial_balance: DecimalNumber,
    /// `cash + positionsValue`.
    pub total_value: DecimalNumber,
    /// USDT held.
    pub cash: DecimalNumber,
    /// Sum of the positions' market values.
    pub positions_value: DecimalNumber,
    /// Realized profit or loss.
    pub realized_pnl: DecimalNumber,
    /// Unrealized profit or loss.
    pub unrealized_pnl: DecimalNumber,
    /// `realizedPnl + unrealizedPnl`.
    pub total_pnl: DecimalNumber,
    /// `totalPnl / initialBalance × 100`.
    pub total_pnl_percent: DecimalNumber,
    /// When the prices were taken.
    pub updated_at: Timestamp,
}

/// The portfolio overview.
#[derive(Debug, Clone, Object)]
pub struct TradingPortfolioResponse {
    /// The totals.
    pub portfolio: TradingPortfolio,
}

/// One page of fills.
#[derive(Debug, Clone, Object)]
pub struct TradingTradeListResponse {
    /// The fills, newest first.
    pub trades: Vec<TradingTrade>,
    /// Where this page is.
    pub pagination: PageLimitPagination,
}

fn parse<T: FromStr>(text: &str) -> Result<T, ApiError>
where
    T::Err: std::fmt::Display,
{
    T::from_str(text).map_err(|e| ApiError::internal(format!("stored value `{text}`: {e}")))
}

fn number(text: &str) -> Result<DecimalNumber, ApiError> {
    Ok(DecimalNumber(dec(text)?))
}

fn timestamp(t: chrono::NaiveDateTime) -> Timestamp {
    Timestamp::from_naive(t)
}

impl TradingOrder {
    fn of(row: &OrderRow) -> Result<Self, ApiError> {
        Ok(Self {
            order_id: row.id,
            client_order_id: Nullable(row.client_order_id.clone()),
            symbol: parse::<Symbol>(&row.symbol)?.into(),
            side: parse::<Side>(&row.side)?.into(),
            order_type: parse::<OrderType>(&row.order_type)?.into(),
            time_in_force: Nullable(
                row.time_in_force
                    .as_deref()
                    .map(parse::<TimeInForce>)
                    .transpose()?
                    .map(Into::into),
            ),
            status: parse::<OrderStatus>(&row.status)?.into(),
            orig_qty: Some(number(&row.orig_qty)?),
            orig_quote_order_qty: Nullable(row.orig_quote_order_qty.as_deref().map(number).transpose()?),
            executed_qty: number(&row.executed_qty)?,
            cumulative_quote_qty: Some(number(&row.cumulative_quote_qty)?),
            price: number(&row.price)?,
            fee: Some(number(&row.fee)?),
            fee_asset: Some(parse::<Asset>(&row.fee_asset)?.into()),
            transact_time: row.transact_time,
            created_at: Some(timestamp(row.created_at)),
            updated_at: Some(timestamp(row.updated_at)),
        })
    }
}

impl TradingTrade {
    fn of(row: &TradeRow) -> Result<Self, ApiError> {
        Ok(Self {
            id: row.id.clone(),
            symbol: parse::<Symbol>(&row.symbol)?.into(),
            side: parse::<Side>(&row.side)?.into(),
            order_type: parse::<OrderType>(&row.order_type)?.into(),
            quantity: number(&row.quantity)?,
            price: number(&row.price)?,
            quote_qty: Some(number(&row.quote_qty)?),
            fee: Some(number(&row.fee)?),
            fee_asset: Some(parse::<Asset>(&row.fee_asset)?.into()),
            is_maker: Some(row.is_maker),
            order_id: row.order_id.to_string(),
            status: TradingTradeStatus::Filled,
            executed_at: timestamp(row.executed_at),
        })
    }
}

/// The message of a placed order.
fn placed_message(status: &str) -> &'static str {
    if status == OrderStatus::Expired.as_str() {
        "Order expired: not marketable at the current price"
    } else {
        "Order placed successfully"
    }
}

/// The 201 body of a new order, as stored for retries.
fn placed_body(order: &OrderRow, trade: Option<&TradeRow>) -> Result<TradingPlaceOrderResponse, ApiError> {
    Ok(TradingPlaceOrderResponse {
        message: placed_message(&order.status).into(),
        trade: Nullable(trade.map(TradingTrade::of).transpose()?),
        order: TradingOrder::of(order)?,
    })
}

/// The canonical text of a place-order request: what retries must repeat exactly.
fn canonical_request(body: &TradingPlaceOrderRequest) -> String {
    let dec = |d: &Option<DecimalInput>| d.map(|d| d.0.normalize().to_string());
    serde_json::json!([
        Symbol::from(body.symbol).as_str(),
        Side::from(body.side).as_str(),
        OrderType::from(body.order_type).as_str(),
        dec(&body.quantity),
        dec(&body.quote_order_qty),
        dec(&body.price),
        body.time_in_force.map(|t| TimeInForce::from(t).as_str()),
        body.client_order_id,
        body.exchange.map(|e| format!("{e:?}")),
    ])
    .to_string()
}

fn order_error(error: OrderError) -> ApiError {
    match error {
        OrderError::Field(field, message) => ApiError::field(field, message),
        OrderError::Rule(message) => ApiError::bad_request(message),
    }
}

fn not_found(error: DbError) -> ApiError {
    match error {
        DbError::NotFound => ApiError::NotFound("No order of yours has this id.".into()),
        other => other.into(),
    }
}

/// The paper-trading operations.
pub struct TradingApi {
    state: AppState,
}

impl TradingApi {
    /// The trading operations over `state`.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[OpenApi(tag = "ApiTags::Trading")]
impl TradingApi {
    /// Place an order
    #[oai(path = "/api/trading/order", method = "post", operation_id = "place_order")]
    async fn place_order(
        &self,
        auth: ServiceAuth<TradingWrite>,
        #[oai(scope = "ClientScope::TradingWrite")] _client: ClientCredentials,
        #[oai(
            name = "Idempotency-Key",
            validator(min_length = 1, max_length = 128, pattern = r"^[A-Za-z0-9._:-]+$")
        )]
        idempotency_key: Header<Option<String>>,
        body: Json<TradingPlaceOrderRequest>,
    ) -> ApiResult<Created<TradingPlaceOrderResponse>, SecuredConflict> {
        let body = body.0;
        let symbol = Symbol::from(body.symbol);
        let request = PlaceRequest {
            order: NewOrder {
                symbol,
                side: body.side.into(),
                order_type: body.order_type.into(),
                quantity: body.quantity.map(|d| d.0),
                quote_order_qty: body.quote_order_qty.map(|d| d.0),
                price: body.price.map(|d| d.0),
                time_in_force: body.time_in_force.map(Into::into),
            },
            client_order_id: body.client_order_id.clone(),
            idempotency_key: idempotency_key.0,
            request_hash: crate::auth::secret::digest(&canonical_request(&body)),
        };
        let moment = engine::moment(&self.state);
        let market_price = self.state.feed.price(symbol, moment.now_ms);
        let render = |order: &OrderRow, trade: Option<&TradeRow>| {
            placed_body(order, trade).map(|b| to_stored(&b)).unwrap_or_default()
        };
        let mut conn = self.state.db.conn().await?;
        let placed = store::place(&mut conn, &auth.0.user.id, &request, market_price, moment, &render)
            .await
            .map_err(|e| match e {
                PlaceError::Order(error) => order_error(error),
                PlaceError::Reused(what) => {
                    ApiError::Conflict(format!("This {what} was already used for a different order request."))
                }
                PlaceError::Db(error) => error.into(),
            })?;
        let response = match placed {
            Placed::New(order, trade) => placed_body(&order, trade.as_deref())?,
            Placed::Replay(stored) => from_stored(&stored)?,
        };
        Ok(Created::Created(Json(response)).into())
    }

    /// Get an order
    #[oai(path = "/api/trading/order/:id", method = "get", operation_id = "get_order")]
    async fn get_order(
        &self,
        auth: ServiceAuth<TradingRead>,
        #[oai(scope = "ClientScope::TradingRead")] _client: ClientCredentials,
        #[oai(validator(minimum(value = "1")))] id: Path<i64>,
    ) -> ApiResult<Json<TradingOrderResponse>, SecuredLookup> {
        let user = &auth.0.user.id;
        engine::match_user(&self.state, user).await?;
        let mut conn = self.state.db.conn().await?;
        let row = store::find_order(&mut conn, user, id.0).await.map_err(not_found)?;
        Ok(Json(TradingOrderResponse {
            order: TradingOrder::of(&row)?,
        })
        .into())
    }

    /// Cancel an open order
    #[oai(path = "/api/trading/order/:id", method = "delete", operation_id = "cancel_order")]
    async fn cancel_order(
        &self,
        auth: ServiceAuth<TradingWrite>,
        #[oai(scope = "ClientScope::TradingWrite")] _client: ClientCredentials,
        #[oai(validator(minimum(value = "1")))] id: Path<i64>,
    ) -> ApiResult<Json<TradingCancelOrderResponse>, SecuredLookup> {
        let user = &auth.0.user.id;
        // An order the market already crossed has filled and can no longer be cancelled.
        engine::match_user(&self.state, user).await?;
        let mut conn = self.state.db.conn().await?;
        let row = store::cancel(&mut conn, user, id.0, engine::moment(&self.state))
            .await
            .map_err(|e| match e {
                CancelError::NotOpen(status) => {
                    ApiError::bad_request(format!("Order cannot be canceled: status is {status}"))
                }
                CancelError::Db(error) => not_found(error),
            })?;
        Ok(Json(TradingCancelOrderResponse {
            message: "Order canceled successfully".into(),
            order: TradingOrder::of(&row)?,
        })
        .into())
    }

    /// List orders
    #[oai(path = "/api/trading/orders", method = "get", operation_id = "list_orders")]
    #[allow(clippy::too_many_arguments)]
    async fn list_orders(
        &self,
        auth: ServiceAuth<TradingRead>,
        #[oai(scope = "ClientScope::TradingRead")] _client: ClientCredentials,
        status: Query<Option<TradingOrderStatus>>,
        symbol: Query<Option<TradingSymbol>>,
        side: Query<Option<TradingSide>>,
        #[oai(default = "default_page", validator(minimum(value = "1")))] page: Query<i64>,
        #[oai(
            default = "default_page_size",
            validator(minimum(value = "1"), maximum(value = "100"))
        )]
        limit: Query<i64>,
    ) -> ApiResult<Json<TradingOrderListResponse>, Secured> {
        let user = &auth.0.user.id;
        engine::match_user(&self.state, user).await?;
        let filter = ListFilter {
            status: status.0.map(Into::into),
            symbol: symbol.0.map(Into::into),
            side: side.0.map(Into::into),
        };
        let offset = page_offset(page.0, limit.0);
        let mut conn = self.state.db.conn().await?;
        let (rows, total) = store::list_orders(&mut conn, user, &filter, limit.0, offset).await?;
        Ok(Json(TradingOrderListResponse {
            orders: rows.iter().map(TradingOrder::of).collect::<Result<_, _>>()?,
            pagination: PageLimitPagination::of(page.0, limit.0, total),
        })
        .into())
    }

    /// Get wallet balances
    #[oai(path = "/api/trading/balances", method = "get", operation_id = "get_balances")]
    async fn get_balances(
        &self,
        auth: ServiceAuth<TradingRead>,
        #[oai(scope = "ClientScope::TradingRead")] _client: ClientCredentials,
    ) -> ApiResult<Json<TradingBalancesResponse>, Secured> {
        let user = &auth.0.user.id;
        engine::match_user(&self.state, user).await?;
        let mut conn = self.state.db.conn().await?;
        let wallet = store::wallet(&mut conn, user).await?;
        let balances = Asset::all()
            .filter_map(|asset| {
                let b = wallet.balance(asset);
                (asset == Asset::Usdt || !b.total().is_zero()).then(|| TradingBalance {
                    asset: asset.into(),
                    free: b.free.into(),
                    locked: b.locked.into(),
                    total: b.total().into(),
                })
            })
            .collect();
        Ok(Json(TradingBalancesResponse { balances }).into())
    }

    /// List open positions
    #[oai(path = "/api/trading/positions", method = "get", operation_id = "get_positions")]
    async fn get_positions(
        &self,
        auth: ServiceAuth<TradingRead>,
        #[oai(scope = "ClientScope::TradingRead")] _client: ClientCredentials,
    ) -> ApiResult<Json<TradingPositionsResponse>, Secured> {
        let user = &auth.0.user.id;
        engine::match_user(&self.state, user).await?;
        let now = self.state.clock.now_ms();
        let mut conn = self.state.db.conn().await?;
        let wallet = store::wallet(&mut conn, user).await?;
        let positions = Symbol::ALL
            .into_iter()
            .filter_map(|s| rules::position(&wallet, s, self.state.feed.price(s, now)))
            .map(TradingPosition::of)
            .collect();
        Ok(Json(TradingPositionsResponse { positions }).into())
    }

    /// Get the portfolio overview
    #[oai(path = "/api/trading/portfolio", method = "get", operation_id = "get_portfolio")]
    async fn get_portfolio(
        &self,
        auth: ServiceAuth<TradingRead>,
        #[oai(scope = "ClientScope::TradingRead")] _client: ClientCredentials,
    ) -> ApiResult<Json<TradingPortfolioResponse>, Secured> {
        let user = &auth.0.user.id;
        engine::match_user(&self.state, user).await?;
        let now = self.state.clock.now();
        let mut conn = self.state.db.conn().await?;
        let wallet = store::wallet(&mut conn, user).await?;
        let positions: Vec<rules::Position> = Symbol::ALL
            .into_iter()
            .filter_map(|s| rules::position(&wallet, s, self.state.feed.price(s, now.timestamp_millis())))
            .collect();
        let initial = Decimal::from(rules::INITIAL_USDT);
        let cash = wallet.balance(Asset::Usdt).total();
        let positions_value: Decimal = positions.iter().map(|p| p.market_value).sum();
        let unrealized: Decimal = positions.iter().map(|p| p.unrealized_pnl).sum();
        let total_pnl = wallet.realized_pnl + unrealized;
        Ok(Json(TradingPortfolioResponse {
            portfolio: TradingPortfolio {
                quote_asset: QuoteAsset::Usdt,
                initial_balance: initial.into(),
                total_value: (cash + positions_value).into(),
                cash: cash.into(),
                positions_value: positions_value.into(),
                realized_pnl: wallet.realized_pnl.into(),
                unrealized_pnl: unrealized.into(),
                total_pnl: total_pnl.into(),
                total_pnl_percent: round_half_up(total_pnl / initial * Decimal::ONE_HUNDRED, 2).into(),
                updated_at: Timestamp(now),
            },
        })
        .into())
    }

    /// List trade history
    #[oai(path = "/api/trading/history", method = "get", operation_id = "list_trades")]
    async fn list_trades(
        &self,
        auth: ServiceAuth<TradingRead>,
        #[oai(scope = "ClientScope::TradingRead")] _client: ClientCredentials,
        symbol: Query<Option<TradingSymbol>>,
        side: Query<Option<TradingSide>>,
        #[oai(default = "default_page", validator(minimum(value = "1")))] page: Query<i64>,
        #[oai(
            default = "default_page_size",
            validator(minimum(value = "1"), maximum(value = "100"))
        )]
        limit: Query<i64>,
    ) -> ApiResult<Json<TradingTradeListResponse>, Secured> {
        let user = &auth.0.user.id;
        engine::match_user(&self.state, user).await?;
        let filter = ListFilter {
            status: None,
            symbol: symbol.0.map(Into::into),
            side: side.0.map(Into::into),
        };
        let offset = page_offset(page.0, limit.0);
        let mut conn = self.state.db.conn().await?;
        let (rows, total) = store::list_trades(&mut conn, user, &filter, limit.0, offset).await?;
        Ok(Json(TradingTradeListResponse {
            trades: rows.iter().map(TradingTrade::of).collect::<Result<_, _>>()?,
            pagination: PageLimitPagination::of(page.0, limit.0, total),
        })
        .into())
    }
}

impl TradingPosition {
    fn of(p: rules::Position) -> Self {
        Self {
            symbol: p.symbol.into(),
            asset: p.symbol.base().into(),
            quantity: p.quantity.into(),
            average_price: p.average_price.into(),
            cost_basis: p.cost_basis.into(),
            current_price: p.current_price.into(),
            market_value: p.market_value.into(),
            unrealized_pnl: p.unrealized_pnl.into(),
            unrealized_pnl_percent: p.unrealized_pnl_percent.into(),
        }
    }
}
