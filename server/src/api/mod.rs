//! The API's operations, one module per group; each holds `#[OpenApi]` impls only.

pub mod accounts;
pub mod admin;
pub mod auth;
pub mod auth_email;
pub mod client_keys;
pub mod cookies;
pub mod credit;
pub mod loans;
pub mod market;
pub mod oauth_error;
pub mod system;
pub mod tokens;
pub mod trading;
pub mod two_factor;
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
    /// Registration, sessions, 2FA and token grants.
    #[oai(rename = "auth")]
    Auth,
    /// The current user, sessions, events, profile, administration.
    #[oai(rename = "accounts")]
    Accounts,
    /// Client keys (OAuth 2.0 client credentials).
    #[oai(rename = "client-keys")]
    ClientKeys,
    /// Paper trading on a simulated market and public market data.
    #[oai(rename = "trading")]
    Trading,
    /// Credit scores and credit history.
    #[oai(rename = "credit")]
    Credit,
    /// Loan applications, calculator, schedules, payments and decisions.
    #[oai(rename = "loans")]
    Loans,
}

/// Every group's operations, as one poem-openapi service.
pub type Apis = (
    system::SystemApi,
    auth::AuthApi,
    auth_email::AuthEmailApi,
    two_factor::TwoFactorApi,
    tokens::TokensApi,
    accounts::AccountsApi,
    admin::AdminApi,
    client_keys::ClientKeysApi,
    trading::TradingApi,
    market::MarketApi,
    credit::CreditApi,
    loans::LoansApi,
);

/// The poem-openapi service of every implemented operation. Its generated spec is compared
/// with the hand-written bundle by the conformance test; `/openapi.json` serves the bundle.
pub fn service(state: &AppState) -> OpenApiService<Apis, ()> {
    OpenApiService::new(
        (
            system::SystemApi::new(state.clone()),
            auth::AuthApi::new(state.clone()),
            auth_email::AuthEmailApi::new(state.clone()),
            two_factor::TwoFactorApi::new(state.clone()),
            tokens::TokensApi::new(state.clone()),
            accounts::AccountsApi::new(state.clone()),
            admin::AdminApi::new(state.clone()),
            client_keys::ClientKeysApi::new(state.clone()),
            trading::TradingApi::new(state.clone()),
            market::MarketApi::new(state.clone()),
            credit::CreditApi::new(state.clone()),
            loans::LoansApi::new(state.clone()),
        ),
        "Meridian API",
        env!("CARGO_PKG_VERSION"),
    )
}

/// The error statuses of each family of operations, exactly as the specs document them.
pub mod statuses {
    crate::error_statuses!(
        /// Public operations without a body.
        Public: 400, 429, 500, 503
    );
    crate::error_statuses!(
        /// Public operations with a body.
        PublicBody: 400, 413, 415, 429, 500, 503
    );
    crate::error_statuses!(
        /// Public look-ups of one resource.
        PublicLookup: 400, 404, 429, 500, 503
    );
    crate::error_statuses!(
        /// `register`.
        Register: 400, 409, 413, 415, 429, 500, 503
    );
    crate::error_statuses!(
        /// `login`.
        Login: 400, 401, 403, 413, 415, 423, 429, 500, 503
    );
    crate::error_statuses!(
        /// `refresh_token`, `create_client_token`.
        Refresh: 400, 401, 403, 413, 415, 429, 500, 503
    );
    crate::error_statuses!(
        /// Secured operations without a body.
        Secured: 400, 401, 403, 429, 500, 503
    );
    crate::error_statuses!(
        /// Secured operations with a body.
        SecuredBody: 400, 401, 403, 413, 415, 429, 500, 503
    );
    crate::error_statuses!(
        /// Secured operations on one resource.
        SecuredLookup: 400, 401, 403, 404, 429, 500, 503
    );
    crate::error_statuses!(
        /// Secured actions on one resource without a body, refused in some states
        /// (`cancel_loan`, `get_loan_schedule`).
        SecuredState: 400, 401, 403, 404, 409, 429, 500, 503
    );
    crate::error_statuses!(
        /// Secured operations with a body that may conflict.
        SecuredConflict: 400, 401, 403, 409, 413, 415, 429, 500, 503
    );
    crate::error_statuses!(
        /// `get_2fa_setup`: secured, no body, may conflict.
        TwoFactorSetup: 400, 401, 403, 409, 429, 500, 503
    );
    crate::error_statuses!(
        /// `disable_2fa`: secured with a body, may conflict, checks the password (lockout).
        TwoFactorDisable: 400, 401, 403, 409, 413, 415, 423, 429, 500, 503
    );
    crate::error_statuses!(
        /// `delete_current_user`.
        AccountDelete: 400, 401, 403, 409, 413, 415, 423, 429, 500, 503
    );
    crate::error_statuses!(
        /// `change_password`.
        PasswordChange: 400, 401, 403, 413, 415, 423, 429, 500, 503
    );
    crate::error_statuses!(
        /// Admin changes of one resource with a body.
        SecuredLookupConflict: 400, 401, 403, 404, 409, 413, 415, 429, 500, 503
    );
    crate::error_statuses!(
        /// `create_account_token`: HTTP Basic with lockout, no body.
        AccountToken: 400, 401, 403, 423, 429, 500, 503
    );
    crate::error_statuses!(
        /// `oauth_token`, `oauth_revoke` (documented with `OAuthErrorBody`).
        OAuth: 400, 401, 413, 429, 500, 503
    );
}
