//! Meridian contract tests: placeholder until the server foundation lands.
