//! Tests under `/api/trading` (paper trading).
mod access;
mod balances;
mod concurrency;
mod history;
mod idempotency;
mod matcher;
mod order;
mod orders;
mod portfolio;
mod positions;
mod rules;
mod support;
