//! Accounts group, administration: users, sessions and stats (staff read, admin change).

#[allow(unused_imports)]
use super::ApiTags;
use crate::state::AppState;

/// The admin operations.
pub struct AdminApi {
    #[allow(dead_code)]
    state: AppState,
}

impl AdminApi {
    /// Over `state`.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[poem_openapi::OpenApi(tag = "ApiTags::Accounts")]
impl AdminApi {}
