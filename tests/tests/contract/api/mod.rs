//! Tests under `/api`.

mod health;
