//! Tests under `/api/users`.

mod client_keys;
mod me;
