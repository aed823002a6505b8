//! Tests of the credit group: `/api/credit/*`.
mod access;
mod factors;
mod history;
mod rate_limit;
mod reuse;
mod score;
mod support;
