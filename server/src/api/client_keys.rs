//! Client-keys group: create, list and delete client keys; the admin list.

#[allow(unused_imports)]
use super::ApiTags;
use crate::state::AppState;

/// The client-keys operations.
pub struct ClientKeysApi {
    #[allow(dead_code)]
    state: AppState,
}

impl ClientKeysApi {
    /// Over `state`.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[poem_openapi::OpenApi(tag = "ApiTags::ClientKeys")]
impl ClientKeysApi {}
