//! The traded symbols and assets of paper trading, with their Binance-like filters (tick
//! size, step size, minimum notional) and exact-decimal helpers for them.

use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};

/// A supported spot pair, quoted in USDT (`TradingSymbol`), in the spec's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Symbol {
    /// Bitcoin.
    Btc,
    /// Ether.
    Eth,
    /// BNB.
    Bnb,
    /// Cardano.
    Ada,
    /// Dogecoin.
    Doge,
    /// XRP.
    Xrp,
    /// Polkadot.
    Dot,
    /// Solana.
    Sol,
}

/// An asset of the demo wallet: USDT or a base asset (`TradingAsset`), in the spec's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Asset {
    /// The quote asset.
    Usdt,
    /// The base asset of a symbol.
    Base(Symbol),
}

/// A symbol's trading filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Filters {
    /// Prices are positive multiples of this (`PRICE_FILTER`).
    pub tick_size: Decimal,
    /// Quantities are positive multiples of this, which is also the minimum (`LOT_SIZE`).
    pub step_size: Decimal,
    /// `quantity × price` must reach this many USDT (`NOTIONAL`).
    pub min_notional: Decimal,
}

impl Symbol {
    /// Every symbol, in the spec's order.
    pub const ALL: [Symbol; 8] = [
        Symbol::Btc,
        Symbol::Eth,
        Symbol::Bnb,
        Symbol::Ada,
        Symbol::Doge,
        Symbol::Xrp,
        Symbol::Dot,
        Symbol::Sol,
    ];

    /// The wire name, e.g. `BTCUSDT`.
    pub fn as_str(self) -> &'static str {
        match self {
            Symbol::Btc => "BTCUSDT",
            Symbol::Eth => "ETHUSDT",
            Symbol::Bnb => "BNBUSDT",
            Symbol::Ada => "ADAUSDT",
            Symbol::Doge => "DOGEUSDT",
            Symbol::Xrp => "XRPUSDT",
            Symbol::Dot => "DOTUSDT",
            Symbol::Sol => "SOLUSDT",
        }
    }

    /// The base asset's name, e.g. `BTC`.
    pub fn base_name(self) -> &'static str {
        let name = self.as_str();
        &name[..name.len() - 4]
    }

    /// The base asset.
    pub fn base(self) -> Asset {
        Asset::Base(self)
    }

    /// The symbol's filters (the table of `POST /api/trading/order`).
    pub fn filters(self) -> Filters {
        let (tick, step) = match self {
            Symbol::Btc => ("0.01", "0.00001"),
            Symbol::Eth => ("0.01", "0.0001"),
            Symbol::Bnb => ("0.01", "0.001"),
            Symbol::Ada => ("0.0001", "0.1"),
            Symbol::Doge => ("0.00001", "1"),
            Symbol::Xrp => ("0.0001", "0.1"),
            Symbol::Dot => ("0.001", "0.01"),
            Symbol::Sol => ("0.01", "0.001"),
        };
        Filters {
            tick_size: Decimal::from_str(tick).expect("a literal decimal"),
            step_size: Decimal::from_str(step).expect("a literal decimal"),
            min_notional: Decimal::from(5),
        }
    }

    /// The message of an unknown symbol (seed 000's wording, listing the supported ones).
    pub fn invalid_message(name: &str) -> String {
        let all: Vec<&str> = Symbol::ALL.iter().map(|s| s.as_str()).collect();
        format!("Invalid symbol: {name}. Supported symbols: {}", all.join(", "))
    }
}

impl FromStr for Symbol {
    type Err = String;

    /// Parses a wire name (upper case only, as the spec's enum).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Symbol::ALL
            .into_iter()
            .find(|sym| sym.as_str() == s)
            .ok_or_else(|| Symbol::invalid_message(s))
    }
}

impl std::fmt::Display for Symbol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Asset {
    /// Every asset, in the spec's order (USDT first).
    pub fn all() -> impl Iterator<Item = Asset> {
        std::iter::once(Asset::Usdt).chain(Symbol::ALL.into_iter().map(Asset::Base))
    }

    /// The wire name, e.g. `USDT` or `BTC`.
    pub fn as_str(self) -> &'static str {
        match self {
            Asset::Usdt => "USDT",
            Asset::Base(symbol) => symbol.base_name(),
        }
    }
}

impl FromStr for Asset {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Asset::all()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| format!("unknown asset `{s}`"))
    }
}

impl std::fmt::Display for Asset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether `value` is a whole multiple of `step`.
pub fn is_multiple(value: Decimal, step: Decimal) -> bool {
    !step.is_zero() && (value % step).is_zero()
}

/// `value` rounded down to a multiple of `step` (for positive values).
pub fn floor_to(value: Decimal, step: Decimal) -> Decimal {
    ((value / step).floor() * step).normalize()
}

/// `value` rounded half-up (away from zero at .5) to `places` decimal places.
pub fn round_half_up(value: Decimal, places: u32) -> Decimal {
    value
        .round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn names_round_trip_in_spec_order() {
        let names: Vec<&str> = Symbol::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            names,
            [
                "BTCUSDT", "ETHUSDT", "BNBUSDT", "ADAUSDT", "DOGEUSDT", "XRPUSDT", "DOTUSDT", "SOLUSDT"
            ]
        );
        for s in Symbol::ALL {
            assert_eq!(s.as_str().parse::<Symbol>(), Ok(s));
            assert_eq!(s.base().as_str().parse::<Asset>(), Ok(s.base()));
        }
        assert_eq!(Symbol::Doge.base_name(), "DOGE");
        let err = "btcusdt".parse::<Symbol>().unwrap_err();
        assert!(err.starts_with("Invalid symbol: btcusdt."), "{err}");
        assert_eq!(Asset::all().count(), 9);
        assert_eq!(Asset::all().next(), Some(Asset::Usdt));
    }

    #[test]
    fn decimal_helpers_are_exact() {
        assert!(is_multiple(d("0.00145"), d("0.00001")));
        assert!(!is_multiple(d("0.000015"), d("0.00001")));
        assert!(is_multiple(d("3500"), d("0.01")));
        assert_eq!(floor_to(d("0.0014499"), d("0.00001")), d("0.00144"));
        assert_eq!(floor_to(d("99.99"), d("1")), d("99"));
        assert_eq!(round_half_up(d("2.605"), 2), d("2.61"));
        assert_eq!(round_half_up(d("-2.605"), 2), d("-2.61"));
        assert_eq!(Symbol::Ada.filters().tick_size, d("0.0001"));
        assert_eq!(Symbol::Btc.filters().min_notional, d("5"));
    }
}
