//! Meridian API server: placeholder until the server-foundation issue lands.
