//! Tests under `/api`.

mod admin;
mod auth;
mod health;
mod market;
mod oauth;
mod profile;
mod trading;
mod users;
