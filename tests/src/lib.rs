//! Meridian's contract-test harness: starts the real server on a real socket against a
//! fresh database (SQLite, or PostgreSQL when `TEST_DATABASE_URL` is set), puts a validating
//! proxy in front of it so every response is checked against the bundled spec, and records
//! which (operationId, status) pairs each test reached for the coverage gate.

pub mod coverage;
pub mod fixtures;
pub mod proxy;
pub mod server;
pub mod spec;

pub use server::{TestServer, TestServerBuilder};
