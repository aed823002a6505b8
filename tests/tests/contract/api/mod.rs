//! Tests under `/api`.

mod admin;
mod auth;
mod health;
mod oauth;
mod profile;
mod users;
