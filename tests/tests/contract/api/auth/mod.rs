//! Tests under `/api/auth`.

mod email;
mod sessions;
mod tokens;
mod two_factor;
