//! Meridian Python bindings: placeholder until the Python SDK issue lands.
