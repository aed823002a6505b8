//! Meridian Rust SDK: a typed client for the Meridian platform API.
//!
//! Start with [`Client`]: build it for a server, sign in (or give it a token), and call any
//! operation through [`Client::api`], named by its operationId. The client sends the bearer
//! token (refreshing a login session before it expires and once on a 401), retries
//! transient failures of idempotent requests with backoff and full jitter (honouring
//! `Retry-After`), and gives order placement, loan applications and loan payments an
//! `Idempotency-Key` so that their retries never act twice. Failures are one [`Error`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), meridian::Error> {
//! let client = meridian::Client::new("http://127.0.0.1:8080")?;
//! client.login("user@example.com", "SecurePass123!").await?;
//! let balances = client.api().get_balances().await?;
//! for balance in &balances.balances {
//!     println!("{:?} {}", balance.asset, balance.free);
//! }
//! # Ok(()) }
//! ```
//!
//! The same operations, grouped by the API's tags and with plain Rust arguments, are on
//! the [`resources`] accessors: [`Client::auth`], [`Client::accounts`],
//! [`Client::client_keys`], [`Client::trading`], [`Client::credit`], [`Client::loans`] and
//! [`Client::system`]. Their methods take `&str` ids, integer pages, enums by value and
//! bodies by reference, refuse a value the API would refuse before sending
//! ([`Error::InvalidRequest`]), and answer with a [`Response`] (the value through `Deref`,
//! the status, the headers and [`Response::request_id`]).
//!
//! ```no_run
//! # async fn demo(client: meridian::Client) -> Result<(), meridian::Error> {
//! let loan = client.loans().get_loan("la_0123456789abcdef").await?;
//! println!("{:?} (request {:?})", loan.data.status, loan.request_id());
//! let history = client.credit().list_credit_history(Some(1), Some(20)).await?;
//! println!("{} events", history.data.history.len());
//! # Ok(()) }
//! ```
//!
//! [`generated`] is the progenitor-generated layer, written from the OpenAPI bundle by
//! `cargo codegen generate` (never edit it by hand): one method per operationId on
//! [`GeneratedClient`], request and response [`types`], exact decimals as
//! [`rust_decimal::Decimal`].

mod client;
mod client_credentials;
mod error;
mod pagination;
#[rustfmt::skip]
pub mod generated;
#[rustfmt::skip]
pub mod resources;
mod response;
mod runtime;

pub use client::{Client, ClientBuilder};
pub use error::Error;
pub use generated::{ByteStream, Client as GeneratedClient, ClientInfo, ResponseValue, types};
pub use response::Response;
pub use runtime::{RetryPolicy, Runtime};
pub use rust_decimal::Decimal;
