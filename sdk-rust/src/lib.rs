//! Meridian Rust SDK: a typed client for the Meridian platform API.
//!
//! [`generated`] is the progenitor-generated layer, written from the OpenAPI bundle by
//! `cargo codegen generate` (never edit it by hand): one method per operationId on
//! [`GeneratedClient`], request and response [`types`], exact decimals as
//! [`rust_decimal::Decimal`].

#[rustfmt::skip]
pub mod generated;

pub use generated::{ByteStream, Client as GeneratedClient, ClientInfo, Error, ResponseValue, types};
pub use rust_decimal::Decimal;
