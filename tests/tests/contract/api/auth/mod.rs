//! Tests under `/api/auth`.

mod sessions;
