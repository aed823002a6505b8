//! Tests under `/api/admin`.

mod client_keys;
mod users;
