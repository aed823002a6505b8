//! Pure domain rules: no HTTP, no SQL.

pub mod market;
pub mod market_data;
pub mod symbols;
pub mod trading;
pub mod wallet;
