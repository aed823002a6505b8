//! Contract tests: the real server on a real socket, driven through the generated Rust SDK,
//! every response validated against the bundle by the harness' proxy. Modules mirror the
//! URL tree (`api/health.rs` is `/api/health`).

mod api;
mod conformance;
mod docs;
mod errors;
mod every_operation;
mod hostile;
mod rate_limits;
mod replicas;
mod sdk;
mod sdk_resources;
mod seeds;
mod well_known;
