//! Tests of the server crate: in process (poem's `TestClient`, no socket) for the error
//! machinery every operation relies on and the database layer on both backends, and the
//! real binary for its command-line interface and multi-process behaviour.

mod binary;
mod crash;
mod db;
mod errors;
mod fault_proxy;
mod outage;
mod process;
mod properties;
mod support;
