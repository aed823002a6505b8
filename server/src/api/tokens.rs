//! Auth group, token grants: Bloq account tokens, Bloq client-token grants, the RFC 6749 token and RFC 7009 revocation endpoints, RFC 8414 metadata.

#[allow(unused_imports)]
use super::ApiTags;
use crate::state::AppState;

/// The auth group's token operations.
pub struct TokensApi {
    #[allow(dead_code)]
    state: AppState,
}

impl TokensApi {
    /// Over `state`.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[poem_openapi::OpenApi(tag = "ApiTags::Auth")]
impl TokensApi {}
