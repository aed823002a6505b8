//! Accounts group: the current user, password, email verification by path, events, sessions, profile.

#[allow(unused_imports)]
use super::ApiTags;
use crate::state::AppState;

/// The accounts operations.
pub struct AccountsApi {
    #[allow(dead_code)]
    state: AppState,
}

impl AccountsApi {
    /// Over `state`.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[poem_openapi::OpenApi(tag = "ApiTags::Accounts")]
impl AccountsApi {}
