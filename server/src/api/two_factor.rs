//! Auth group, two-factor authentication (TOTP, RFC 6238).

#[allow(unused_imports)]
use super::ApiTags;
use crate::state::AppState;

/// The auth group's 2FA operations.
pub struct TwoFactorApi {
    #[allow(dead_code)]
    state: AppState,
}

impl TwoFactorApi {
    /// Over `state`.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[poem_openapi::OpenApi(tag = "ApiTags::Auth")]
impl TwoFactorApi {}
