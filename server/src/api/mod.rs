//! The API's operations, one module per group; each holds `#[OpenApi]` impls only.

pub mod system;
pub mod types;

use poem_openapi::{OpenApiService, Tags};

use crate::state::AppState;

/// The groups of the API (one tag each, as in the hand-written documents).
#[derive(Tags)]
#[allow(clippy::enum_variant_names)]
pub enum ApiTags {
    /// Health and service status.
    #[oai(rename = "system")]
    System,
}

/// Every group's operations, as one poem-openapi service.
pub type Apis = system::SystemApi;

/// The poem-openapi service of every implemented operation. Its generated spec is compared
/// with the hand-written bundle by the conformance test; `/openapi.json` serves the bundle.
pub fn service(state: &AppState) -> OpenApiService<Apis, ()> {
    OpenApiService::new(
        system::SystemApi::new(state.clone()),
        "Meridian API",
        env!("CARGO_PKG_VERSION"),
    )
}

/// The error statuses of the operation families (see `docs/api-design.md`).
pub mod statuses {
    crate::error_statuses!(
        /// Public operations without a body: 400, 429, 500, 503.
        Public: 400, 429, 500, 503
    );
}
