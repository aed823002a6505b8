//! Meridian Rust SDK: placeholder until the generated client lands.
