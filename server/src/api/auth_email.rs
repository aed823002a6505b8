//! Auth group, email flows: verification, resend, status, forgot and reset password.

#[allow(unused_imports)]
use super::ApiTags;
use crate::state::AppState;

/// The auth group's email operations.
pub struct AuthEmailApi {
    #[allow(dead_code)]
    state: AppState,
}

impl AuthEmailApi {
    /// Over `state`.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[poem_openapi::OpenApi(tag = "ApiTags::Auth")]
impl AuthEmailApi {}
