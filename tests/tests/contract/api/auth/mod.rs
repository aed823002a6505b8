//! Tests under `/api/auth`.

mod attacks;
mod email;
mod sessions;
mod tokens;
mod two_factor;
