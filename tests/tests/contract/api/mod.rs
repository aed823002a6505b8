//! Tests under `/api`.

mod admin;
mod auth;
mod credit;
mod health;
mod loans;
mod market;
mod oauth;
mod profile;
mod trading;
mod users;
