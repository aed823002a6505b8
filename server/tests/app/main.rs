//! Tests of the server crate: in process (poem's `TestClient`, no socket) for the error
//! machinery every operation relies on, the database layer on both backends and property
//! tests of request decoding, and the real binary for its command-line interface,
//! multi-process behaviour, crashes and outages (docs/reliability.md).

mod binary;
mod crash;
mod db;
mod errors;
mod fault_proxy;
mod outage;
mod process;
mod properties;
mod support;
