//! Tests under `/api`.

mod auth;
mod health;
