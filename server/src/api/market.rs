//! Market data (trading group, public): prices, 24-hour tickers, OHLCV candles and the
//! synthetic order book of the simulated feed. The figures come from
//! [`crate::domain::market_data`]; "now" is the market clock's.
//!
//! Also home of the wire types of symbols ([`TradingSymbol`], and the [`SymbolQuery`] /
//! [`symbol_path::Path`] parameters, which answer an unknown symbol with the spec's
//! `Invalid symbol: FOOUSDT. Supported symbols: …` rather than poem's parse message).

use std::borrow::Cow;

use poem::{Request, RequestBody};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::registry::{MetaParamIn, MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::types::{ParseError, ParseFromParameter, ParseResult, ToJSON, Type};
use poem_openapi::{ApiExtractor, ApiExtractorType, Enum, ExtractParamOptions, Object, OpenApi};
use serde_json::Value;

use super::ApiTags;
use super::statuses::Public;
use super::types::{DecimalNumber, Timestamp, wire_enum};
use crate::domain::market_data::{
    self, BOOK_DEPTHS, BookLevel, Candle, CandleQuery, CandleQueryError, DEFAULT_BOOK_DEPTH, DEFAULT_CANDLES, Interval,
    Ticker,
};
use crate::domain::symbols::Symbol;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::state::AppState;

wire_enum!(
    /// A supported spot trading pair, quoted in USDT (`TradingSymbol`).
    TradingSymbol => Symbol {
        /// Bitcoin.
        Btcusdt = Symbol::Btc,
        /// Ether.
        Ethusdt = Symbol::Eth,
        /// BNB.
        Bnbusdt = Symbol::Bnb,
        /// Cardano.
        Adausdt = Symbol::Ada,
        /// Dogecoin.
        Dogeusdt = Symbol::Doge,
        /// XRP.
        Xrpusdt = Symbol::Xrp,
        /// Polkadot.
        Dotusdt = Symbol::Dot,
        /// Solana.
        Solusdt = Symbol::Sol,
    }
);

/// The 400 of an unsupported symbol named by parameter `field`.
fn invalid_symbol(field: &str, name: &str) -> ApiError {
    let message = Symbol::invalid_message(name);
    ApiError::BadRequest {
        message: message.clone(),
        errors: vec![FieldError::new(field, message)],
    }
}

/// A `symbol` parameter (in the query, or in the path when `PATH`), documented as
/// `TradingSymbol` and parsed with the spec's message for an unsupported symbol.
pub struct SymbolParam<const PATH: bool>(pub Symbol);

/// The required `symbol` query parameter (`MarketSymbol`).
pub type SymbolQuery = SymbolParam<false>;

/// The `{symbol}` path parameter, as `symbol_path::Path`: poem-openapi recognises a path
/// parameter by a segment named `Path` in the argument's type, hence the alias's name.
pub mod symbol_path {
    /// The `{symbol}` path parameter.
    pub type Path = super::SymbolParam<true>;
}

impl<'a, const PATH: bool> ApiExtractor<'a> for SymbolParam<PATH> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::Parameter];
    const PARAM_IS_REQUIRED: bool = true;

    type ParamType = Symbol;
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        TradingSymbol::register(registry);
    }

    fn param_in() -> Option<MetaParamIn> {
        Some(if PATH { MetaParamIn::Path } else { MetaParamIn::Query })
    }

    fn param_schema_ref() -> Option<MetaSchemaRef> {
        Some(TradingSymbol::schema_ref())
    }

    async fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        // poem-openapi names path parameters `param0`, `param1`, … internally; errors name
        // the parameter as documented (this extractor is always `symbol`).
        let name = if PATH { "symbol" } else { param_opts.name };
        let raw = if PATH {
            let options = ExtractParamOptions {
                name: param_opts.name,
                ..Default::default()
            };
            Some(Path::<String>::from_request(request, body, options).await?.0)
        } else {
            let options = ExtractParamOptions {
                name,
                ..Default::default()
            };
            Query::<Option<String>>::from_request(request, body, options).await?.0
        };
        let Some(raw) = raw else {
            let supported: Vec<&str> = Symbol::ALL.iter().map(|s| s.as_str()).collect();
            return Err(ApiError::BadRequest {
                message: format!(
                    "The `{name}` parameter is required. Supported symbols: {}",
                    supported.join(", ")
                ),
                errors: vec![FieldError::new(name, "is required")],
            }
            .into());
        };
        raw.parse::<Symbol>()
            .map(Self)
            .map_err(|_| invalid_symbol(name, &raw).into())
    }
}

/// The optional `symbols` query parameter of `list_prices`: comma-separated symbols,
/// documented with the spec's length and pattern, parsed with the spec's messages.
pub struct SymbolsQuery(pub Option<Vec<Symbol>>);

/// `symbols`' documented pattern.
const SYMBOLS_PATTERN: &str = "^(BTC|ETH|BNB|ADA|DOGE|XRP|DOT|SOL)USDT(,(BTC|ETH|BNB|ADA|DOGE|XRP|DOT|SOL)USDT)*$";
/// `symbols`' documented maximum length.
const SYMBOLS_MAX_LENGTH: usize = 100;

impl<'a> ApiExtractor<'a> for SymbolsQuery {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::Parameter];
    const PARAM_IS_REQUIRED: bool = false;

    type ParamType = Option<Vec<Symbol>>;
    type ParamRawType = ();

    fn param_in() -> Option<MetaParamIn> {
        Some(MetaParamIn::Query)
    }

    fn param_schema_ref() -> Option<MetaSchemaRef> {
        Some(MetaSchemaRef::Inline(Box::new(MetaSchema {
            min_length: Some(7),
            max_length: Some(SYMBOLS_MAX_LENGTH),
            pattern: Some(SYMBOLS_PATTERN.into()),
            ..MetaSchema::new("string")
        })))
    }

    async fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let name = param_opts.name;
        let options = ExtractParamOptions {
            name,
            ..Default::default()
        };
        let Some(raw) = Query::<Option<String>>::from_request(request, body, options).await?.0 else {
            return Ok(Self(None));
        };
        if raw.is_empty() {
            return Err(ApiError::field(name, "must name at least one symbol, e.g. `BTCUSDT,ETHUSDT`.").into());
        }
        if raw.len() > SYMBOLS_MAX_LENGTH {
            return Err(ApiError::field(name, format!("is longer than {SYMBOLS_MAX_LENGTH} characters.")).into());
        }
        let mut symbols = Vec::new();
        for item in raw.split(',') {
            let symbol = item.parse::<Symbol>().map_err(|_| invalid_symbol(name, item))?;
            if !symbols.contains(&symbol) {
                symbols.push(symbol);
            }
        }
        Ok(Self(Some(symbols)))
    }
}

/// A candle length (`MarketInterval`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum MarketInterval {
    /// One minute.
    #[oai(rename = "1m")]
    M1,
    /// Five minutes.
    #[oai(rename = "5m")]
    M5,
    /// Fifteen minutes.
    #[oai(rename = "15m")]
    M15,
    /// One hour.
    #[oai(rename = "1h")]
    H1,
    /// Four hours.
    #[oai(rename = "4h")]
    H4,
    /// One day, from 00:00 UTC.
    #[oai(rename = "1d")]
    D1,
}

impl From<MarketInterval> for Interval {
    fn from(interval: MarketInterval) -> Self {
        match interval {
            MarketInterval::M1 => Interval::M1,
            MarketInterval::M5 => Interval::M5,
            MarketInterval::M15 => Interval::M15,
            MarketInterval::H1 => Interval::H1,
            MarketInterval::H4 => Interval::H4,
            MarketInterval::D1 => Interval::D1,
        }
    }
}

/// The order-book depth parameter: an integer among [`BOOK_DEPTHS`]
/// (`{type: integer, format: int64, enum: [5, 10, 20, 50, 100]}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookDepth(pub i64);

impl Type for BookDepth {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "integer_book_depth".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            enum_items: BOOK_DEPTHS.iter().map(|&d| Value::from(d)).collect(),
            ..MetaSchema::new_with_format("integer", "int64")
        }))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl ToJSON for BookDepth {
    fn to_json(&self) -> Option<Value> {
        Some(Value::from(self.0))
    }
}

impl ParseFromParameter for BookDepth {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        match value.parse::<i64>() {
            Ok(depth) if BOOK_DEPTHS.contains(&depth) => Ok(Self(depth)),
            _ => Err(ParseError::custom(format!(
                "`{value}` is not one of 5, 10, 20, 50 or 100"
            ))),
        }
    }
}

fn default_interval() -> MarketInterval {
    MarketInterval::H1
}

fn default_candle_limit() -> i64 {
    DEFAULT_CANDLES
}

fn default_book_depth() -> BookDepth {
    BookDepth(DEFAULT_BOOK_DEPTH)
}

/// A symbol's price from the simulated feed.
#[derive(Debug, Clone, Object)]
pub struct MarketPrice {
    /// The pair.
    pub symbol: TradingSymbol,
    /// The price in USDT, a multiple of the symbol's tick size.
    pub price: DecimalNumber,
    /// The instant the price is for (RFC 3339 UTC).
    pub timestamp: Timestamp,
}

/// Several symbols' prices.
#[derive(Debug, Clone, Object)]
pub struct MarketPriceListResponse {
    /// One entry per symbol asked for (all symbols by default).
    pub prices: Vec<MarketPrice>,
}

/// Rolling 24-hour statistics of one symbol (Binance's 24 h ticker).
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct MarketTicker {
    /// The pair.
    pub symbol: TradingSymbol,
    /// The price at `openTime`.
    pub open_price: DecimalNumber,
    /// The highest price in the window.
    pub high_price: DecimalNumber,
    /// The lowest price in the window.
    pub low_price: DecimalNumber,
    /// The price at `closeTime` (the current price).
    pub last_price: DecimalNumber,
    /// Simulated base-asset volume over the window.
    pub volume: DecimalNumber,
    /// Simulated USDT volume over the window.
    pub quote_volume: DecimalNumber,
    /// `lastPrice − openPrice` (negative when the price fell).
    pub price_change: DecimalNumber,
    /// `priceChange / openPrice × 100`, rounded half-up to 2 decimal places.
    pub price_change_percent: DecimalNumber,
    /// Window start, in milliseconds since the Unix epoch (`closeTime − 86400000`).
    pub open_time: i64,
    /// Window end (now), in milliseconds since the Unix epoch.
    pub close_time: i64,
}

impl From<Ticker> for MarketTicker {
    fn from(t: Ticker) -> Self {
        Self {
            symbol: t.symbol.into(),
            open_price: t.open_price.into(),
            high_price: t.high_price.into(),
            low_price: t.low_price.into(),
            last_price: t.last_price.into(),
            volume: t.volume.into(),
            quote_volume: t.quote_volume.into(),
            price_change: t.price_change.into(),
            price_change_percent: t.price_change_percent.into(),
            open_time: t.open_time,
            close_time: t.close_time,
        }
    }
}

/// Every symbol's 24-hour statistics.
#[derive(Debug, Clone, Object)]
pub struct MarketTickerListResponse {
    /// One entry per supported symbol, in the order of `TradingSymbol`.
    pub tickers: Vec<MarketTicker>,
}

/// One OHLCV candlestick of the simulated feed.
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct MarketCandle {
    /// Candle start, in milliseconds since the Unix epoch.
    pub open_time: i64,
    /// Price at `openTime`.
    pub open: DecimalNumber,
    /// Highest price in the candle.
    pub high: DecimalNumber,
    /// Lowest price in the candle.
    pub low: DecimalNumber,
    /// Price at the candle's end, or the current price while it is open.
    pub close: DecimalNumber,
    /// Simulated base-asset volume in the candle.
    pub volume: DecimalNumber,
    /// Candle end (`openTime + interval − 1`), in milliseconds since the Unix epoch.
    pub close_time: i64,
}

impl From<Candle> for MarketCandle {
    fn from(c: Candle) -> Self {
        Self {
            open_time: c.open_time,
            open: c.open.into(),
            high: c.high.into(),
            low: c.low.into(),
            close: c.close.into(),
            volume: c.volume.into(),
            close_time: c.close_time,
        }
    }
}

/// Candlesticks of one symbol.
#[derive(Debug, Clone, Object)]
pub struct MarketCandlesResponse {
    /// The pair.
    pub symbol: TradingSymbol,
    /// The candle length used.
    pub interval: MarketInterval,
    /// The candles, oldest first.
    pub candles: Vec<MarketCandle>,
}

/// One price level of the synthetic order book.
#[derive(Debug, Clone, Object)]
pub struct MarketOrderBookLevel {
    /// Level price in USDT.
    pub price: DecimalNumber,
    /// Simulated base quantity at this level.
    pub quantity: DecimalNumber,
}

impl From<BookLevel> for MarketOrderBookLevel {
    fn from(level: BookLevel) -> Self {
        Self {
            price: level.price.into(),
            quantity: level.quantity.into(),
        }
    }
}

/// Synthetic depth around the current price (display only).
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct MarketOrderBook {
    /// The pair.
    pub symbol: TradingSymbol,
    /// A version of the book that increases with time (Binance's name).
    pub last_update_id: i64,
    /// The instant the book is for (RFC 3339 UTC).
    pub timestamp: Timestamp,
    /// Buy levels below the price, highest first.
    pub bids: Vec<MarketOrderBookLevel>,
    /// Sell levels above the price, lowest first.
    pub asks: Vec<MarketOrderBookLevel>,
}

/// The instant `ms` (milliseconds since the epoch) on the wire.
fn timestamp_of(ms: i64) -> Timestamp {
    Timestamp(chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default())
}

/// Runs CPU-bound market computation (long candle ranges, every ticker) off the async
/// workers.
async fn compute<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work).await.map_err(ApiError::internal)
}

/// The public market-data operations.
pub struct MarketApi {
    state: AppState,
}

impl MarketApi {
    /// The market operations over `state`.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }

    /// `symbol`'s feed price now.
    fn price(&self, symbol: Symbol) -> MarketPrice {
        let now = self.state.clock.now_ms();
        MarketPrice {
            symbol: symbol.into(),
            price: self.state.feed.price(symbol, now).into(),
            timestamp: timestamp_of(now),
        }
    }
}

#[OpenApi(tag = "ApiTags::Trading")]
impl MarketApi {
    /// Get a symbol's price
    #[oai(path = "/api/market/price", method = "get", operation_id = "get_price")]
    async fn get_price(
        &self,
        /// The trading pair, upper case.
        symbol: SymbolQuery,
    ) -> ApiResult<Json<MarketPrice>, Public> {
        Ok(Json(self.price(symbol.0)).into())
    }

    /// Get a symbol's price by path
    #[oai(
        path = "/api/market/price/:symbol",
        method = "get",
        operation_id = "get_symbol_price"
    )]
    async fn get_symbol_price(
        &self,
        /// The trading pair, upper case.
        symbol: symbol_path::Path,
    ) -> ApiResult<Json<MarketPrice>, Public> {
        Ok(Json(self.price(symbol.0)).into())
    }

    /// Get several symbols' prices
    #[oai(path = "/api/market/prices", method = "get", operation_id = "list_prices")]
    async fn list_prices(
        &self,
        /// Comma-separated symbols, e.g. `BTCUSDT,ETHUSDT` (upper case, no spaces). Absent:
        /// all symbols.
        symbols: SymbolsQuery,
    ) -> ApiResult<Json<MarketPriceListResponse>, Public> {
        let now = self.state.clock.now_ms();
        let symbols = symbols.0.unwrap_or_else(|| Symbol::ALL.to_vec());
        let prices = symbols
            .into_iter()
            .map(|symbol| MarketPrice {
                symbol: symbol.into(),
                price: self.state.feed.price(symbol, now).into(),
                timestamp: timestamp_of(now),
            })
            .collect();
        Ok(Json(MarketPriceListResponse { prices }).into())
    }

    /// Get a symbol's 24-hour statistics
    #[oai(path = "/api/market/ticker", method = "get", operation_id = "get_ticker")]
    async fn get_ticker(
        &self,
        /// The trading pair, upper case.
        symbol: SymbolQuery,
    ) -> ApiResult<Json<MarketTicker>, Public> {
        let now = self.state.clock.now_ms();
        let feed = self.state.feed.clone();
        let ticker = compute(move || market_data::ticker(feed.as_ref(), symbol.0, now)).await?;
        Ok(Json(MarketTicker::from(ticker)).into())
    }

    /// Get every symbol's 24-hour statistics
    #[oai(path = "/api/market/tickers", method = "get", operation_id = "list_tickers")]
    async fn list_tickers(&self) -> ApiResult<Json<MarketTickerListResponse>, Public> {
        let now = self.state.clock.now_ms();
        let feed = self.state.feed.clone();
        let tickers = compute(move || {
            Symbol::ALL
                .into_iter()
                .map(|symbol| market_data::ticker(feed.as_ref(), symbol, now).into())
                .collect()
        })
        .await?;
        Ok(Json(MarketTickerListResponse { tickers }).into())
    }

    /// Get OHLCV candles
    #[oai(path = "/api/market/history", method = "get", operation_id = "get_candles")]
    async fn get_candles(
        &self,
        /// The trading pair, upper case.
        symbol: SymbolQuery,
        /// Candle length (default `1h`).
        #[oai(default = "default_interval")]
        interval: Query<MarketInterval>,
        /// Number of candles, 1–1000 (default 100).
        #[oai(
            default = "default_candle_limit",
            validator(minimum(value = "1"), maximum(value = "1000"))
        )]
        limit: Query<i64>,
        /// Earliest candle open time, in milliseconds since the Unix epoch.
        #[oai(name = "startTime", validator(minimum(value = "0")))]
        start_time: Query<Option<i64>>,
        /// Latest candle open time, in milliseconds since the Unix epoch (default now).
        #[oai(name = "endTime", validator(minimum(value = "0")))]
        end_time: Query<Option<i64>>,
    ) -> ApiResult<Json<MarketCandlesResponse>, Public> {
        let query = CandleQuery {
            interval: interval.0.into(),
            limit: limit.0,
            start_time: start_time.0,
            end_time: end_time.0,
        };
        let now = self.state.clock.now_ms();
        let feed = self.state.feed.clone();
        let symbol = symbol.0;
        let candles = compute(move || market_data::candles(feed.as_ref(), symbol, &query, now))
            .await?
            .map_err(|error| match error {
                CandleQueryError::Limit => ApiError::field("limit", "must be between 1 and 1000."),
                CandleQueryError::StartAfterEnd => ApiError::field("startTime", "must not be after `endTime`."),
            })?;
        Ok(Json(MarketCandlesResponse {
            symbol: symbol.into(),
            interval: interval.0,
            candles: candles.into_iter().map(MarketCandle::from).collect(),
        })
        .into())
    }

    /// Get the order book
    #[oai(path = "/api/market/orderbook", method = "get", operation_id = "get_order_book")]
    async fn get_order_book(
        &self,
        /// The trading pair, upper case.
        symbol: SymbolQuery,
        /// Levels per side (default 20).
        #[oai(default = "default_book_depth")]
        limit: Query<BookDepth>,
    ) -> ApiResult<Json<MarketOrderBook>, Public> {
        let now = self.state.clock.now_ms();
        let book = market_data::order_book(self.state.feed.as_ref(), symbol.0, now, limit.0.0 as usize);
        Ok(Json(MarketOrderBook {
            symbol: symbol.0.into(),
            last_update_id: book.last_update_id,
            timestamp: timestamp_of(now),
            bids: book.bids.into_iter().map(Into::into).collect(),
            asks: book.asks.into_iter().map(Into::into).collect(),
        })
        .into())
    }
}
