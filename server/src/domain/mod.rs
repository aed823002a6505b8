//! Pure domain rules: no HTTP, no SQL.

pub mod wallet;
