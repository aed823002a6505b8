//! Accounts group: the current user (Bloq `/users/me`), password, email verification by
//! path, audit events, sessions and seed 003's `/api/profile`.

use chrono::Utc;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Enum, Object, OpenApi};

use super::ApiTags;
use super::auth::Role;
use super::statuses::{AccountDelete, PasswordChange, PublicLookup, Secured, SecuredConflict, SecuredLookup};
use super::types::{Nullable, Timestamp, True};
use crate::auth::extract::UserAuth;
use crate::auth::flows::{self, SecondFactor};
use crate::auth::{is_banned, password, secret};
use crate::db::DbError;
use crate::db::events::{self, EventRow};
use crate::db::sessions::{self, SessionFilter, SessionRow};
use crate::db::users::{self, UserRow};
use crate::domain::wallet;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// `individual` or `company`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum EntityType {
    /// A person.
    Individual,
    /// A company.
    Company,
}

impl EntityType {
    fn of(text: &str) -> Self {
        if text == "company" {
            Self::Company
        } else {
            Self::Individual
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Individual => "individual",
            Self::Company => "company",
        }
    }
}

/// An account's status as the accounts group reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum AccountStatus {
    /// Email not verified.
    Pending,
    /// Verified.
    Active,
    /// Banned.
    Banned,
}

impl AccountStatus {
    /// The status of `user` now.
    pub fn of(user: &UserRow) -> Self {
        if is_banned(user, Utc::now().naive_utc()) {
            Self::Banned
        } else if user.status == "active" {
            Self::Active
        } else {
            Self::Pending
        }
    }
}

/// Bloq's user.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct AccountUser {
    /// User id.
    pub id: String,
    /// Email.
    pub email: String,
    /// Display name.
    pub display_name: Nullable<String>,
    /// `individual` or `company`.
    pub entity_type: EntityType,
    /// When the email was verified.
    pub verified_at: Nullable<Timestamp>,
    /// Created.
    pub created_at: Timestamp,
    /// Updated.
    pub updated_at: Timestamp,
    /// Billing address.
    pub billing_address: AccountBillingAddress,
    /// Role.
    pub role: Option<Role>,
    /// Status.
    pub status: Option<AccountStatus>,
    /// 2FA on.
    pub two_factor_enabled: Option<bool>,
    /// Linked wallet.
    pub wallet_address: Option<Nullable<String>>,
}

/// Billing address; fields are `null` until set.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct AccountBillingAddress {
    /// ISO 3166-1 alpha-2 country.
    pub country: Nullable<String>,
    /// Postal code.
    pub zip_code: Nullable<String>,
    /// Street address.
    pub address: Nullable<String>,
    /// State or region.
    pub state: Nullable<String>,
}

impl AccountUser {
    /// The wire form of `user`.
    pub fn of(user: &UserRow) -> Self {
        Self {
            id: user.id.clone(),
            email: user.email.clone(),
            display_name: user.display_name.clone().into(),
            entity_type: EntityType::of(&user.entity_type),
            verified_at: user.verified_at.map(Timestamp::from_naive).into(),
            created_at: Timestamp::from_naive(user.created_at),
            updated_at: Timestamp::from_naive(user.updated_at),
            billing_address: AccountBillingAddress {
                country: user.billing_country.clone().into(),
                zip_code: user.billing_zip_code.clone().into(),
                address: user.billing_address.clone().into(),
                state: user.billing_state.clone().into(),
            },
            role: Some(Role::of(user)),
            status: Some(AccountStatus::of(user)),
            two_factor_enabled: Some(user.totp_enabled),
            wallet_address: Some(user.wallet_address.clone().into()),
        }
    }
}

/// `PATCH /api/users/me` body.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountUserUpdateRequest {
    /// New display name.
    pub display_name: Option<String>,
    /// New entity type.
    pub entity_type: Option<EntityType>,
    /// Billing fields to replace.
    pub billing_address: Option<AccountBillingAddressUpdate>,
    /// Wallet to link; `null` unlinks.
    pub wallet_address: MaybeUndefined<Nullable<String>>,
}

/// Partial billing address.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountBillingAddressUpdate {
    /// Country.
    pub country: Option<String>,
    /// Postal code.
    pub zip_code: Option<String>,
    /// Street address.
    pub address: Option<String>,
    /// State or region.
    pub state: Option<String>,
}

/// `DELETE /api/users/me` body.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct AccountDeleteRequest {
    /// The current password.
    pub password: String,
}

/// `PUT /api/users/me/password` body.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountChangePasswordRequest {
    /// The current password.
    pub old_password: String,
    /// The new password.
    pub new_password: String,
}

/// Portal's acknowledgement.
#[derive(Debug, Object)]
pub struct OkResponse {
    /// Always `true`.
    pub ok: True,
    /// What happened.
    pub message: Option<String>,
}

impl OkResponse {
    /// `{ok: true, message}`.
    pub fn with(message: &str) -> Json<Self> {
        Json(Self {
            ok: True,
            message: Some(message.into()),
        })
    }
}

/// One audit event (Bloq).
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct AccountEvent {
    /// Event id.
    #[oai(skip_serializing_if_is_none)]
    pub id: Option<String>,
    /// The operation served.
    pub service: String,
    /// The user.
    #[oai(skip_serializing_if_is_none)]
    pub user: Option<String>,
    /// Request summary.
    #[oai(skip_serializing_if_is_none)]
    pub input: Option<AccountEventInput>,
    /// Response summary.
    pub output: AccountEventOutput,
    /// Service data.
    #[oai(skip_serializing_if_is_none)]
    pub service_data: Option<AccountEventServiceData>,
    /// When.
    #[oai(skip_serializing_if_is_none)]
    pub created_at: Option<Timestamp>,
}

/// What the request was.
#[derive(Debug, Object, serde::Deserialize)]
pub struct AccountEventInput {
    /// Method.
    #[oai(skip_serializing_if_is_none)]
    pub method: Option<String>,
    /// Path.
    #[oai(skip_serializing_if_is_none)]
    pub path: Option<String>,
    /// Query parameters (secrets redacted).
    #[oai(skip_serializing_if_is_none)]
    pub query: Option<std::collections::BTreeMap<String, String>>,
}

/// What the response was.
#[derive(Debug, Object, serde::Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase")]
pub struct AccountEventOutput {
    /// Start.
    pub start_time: Timestamp,
    /// End.
    pub end_time: Timestamp,
    /// Status code.
    pub http_status_code: i32,
    /// Body bytes.
    pub bytes_out: i64,
}

/// How the request was authenticated.
#[derive(Debug, Object, serde::Deserialize)]
#[oai(rename_all = "camelCase")]
#[serde(rename_all = "camelCase")]
pub struct AccountEventServiceData {
    /// The operationId.
    #[oai(skip_serializing_if_is_none)]
    pub operation_id: Option<String>,
    /// The credential kind.
    #[oai(skip_serializing_if_is_none)]
    pub credential: Option<Credential>,
    /// The client key of a client token.
    #[oai(skip_serializing_if_is_none)]
    pub client_key_id: Option<String>,
}

/// A credential kind.
#[derive(Debug, Clone, Copy, Enum, serde::Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Credential {
    /// User access token.
    AccessToken,
    /// Bloq account token.
    AccountToken,
    /// Client token.
    ClientToken,
    /// `accessToken` cookie.
    Cookie,
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        chrono::DateTime::parse_from_rfc3339(&text)
            .map(|t| Self(t.to_utc()))
            .map_err(serde::de::Error::custom)
    }
}

impl AccountEvent {
    fn of(row: EventRow) -> Self {
        Self {
            input: serde_json::from_str(&row.input).ok(),
            output: serde_json::from_str(&row.output).unwrap_or(AccountEventOutput {
                start_time: Timestamp::from_naive(row.created_at),
                end_time: Timestamp::from_naive(row.created_at),
                http_status_code: 200,
                bytes_out: 0,
            }),
            service_data: row.service_data.as_deref().and_then(|s| serde_json::from_str(s).ok()),
            created_at: Some(Timestamp::from_naive(row.created_at)),
            id: Some(row.id),
            service: row.service,
            user: Some(row.user_id),
        }
    }
}

/// The events page, with the total in `X-Total-Count`.
#[derive(poem_openapi::ApiResponse)]
pub enum EventsReply {
    /// The events, newest first.
    #[oai(status = 200)]
    Ok(Json<Vec<AccountEvent>>, #[oai(header = "X-Total-Count")] i64),
}

/// A session (Portal).
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct AccountSession {
    /// Session id.
    pub id: String,
    /// The user.
    pub user_id: String,
    /// Expiry.
    pub expires_at: Timestamp,
    /// Client IP at creation.
    pub ip_address: Nullable<String>,
    /// User agent at creation.
    pub user_agent: Nullable<String>,
    /// Created.
    pub created_at: Timestamp,
    /// Whether this request uses it.
    pub current: Option<bool>,
    /// When it was revoked.
    pub revoked_at: Option<Nullable<Timestamp>>,
}

impl AccountSession {
    /// The wire form of `row`; `current` marks the caller's session.
    pub fn of(row: SessionRow, current: Option<&str>) -> Self {
        Self {
            current: Some(current == Some(row.id.as_str())),
            revoked_at: Some(row.revoked_at.map(Timestamp::from_naive).into()),
            id: row.id,
            user_id: row.user_id,
            expires_at: Timestamp::from_naive(row.expires_at),
            ip_address: row.ip_address.into(),
            user_agent: row.user_agent.into(),
            created_at: Timestamp::from_naive(row.created_at),
        }
    }
}

/// `{sessions: [...]}`.
#[derive(Debug, Object)]
pub struct AccountSessionList {
    /// Sessions, newest first.
    pub sessions: Vec<AccountSession>,
}

impl AccountSessionList {
    /// The list of `rows`; `current` marks the caller's session.
    pub fn of(rows: Vec<SessionRow>, current: Option<&str>) -> Json<Self> {
        Json(Self {
            sessions: rows.into_iter().map(|r| AccountSession::of(r, current)).collect(),
        })
    }
}

/// Seed 003's profile.
#[derive(Debug, Object)]
pub struct AccountProfileResponse {
    /// Always `true`.
    pub success: True,
    /// The profile.
    pub data: AccountProfileData,
}

/// Profile data.
#[derive(Debug, Object)]
pub struct AccountProfileData {
    /// User id.
    pub id: String,
    /// Email.
    pub email: String,
    /// Status.
    pub status: AccountStatus,
    /// Created.
    pub created_at: Timestamp,
    /// Last login.
    pub last_login: Nullable<Timestamp>,
    /// Details.
    pub profile: AccountProfileDetails,
}

/// Profile details.
#[derive(Debug, Object)]
pub struct AccountProfileDetails {
    /// Linked wallet.
    pub wallet_address: Nullable<String>,
    /// Full name (the display name).
    pub full_name: Nullable<String>,
    /// KYC status (KYC is out of Meridian's scope: always `not_started`).
    pub kyc_status: KycStatus,
    /// Latest credit score.
    pub credit_score: Nullable<i32>,
    /// When it was calculated.
    pub last_score_update: Nullable<Timestamp>,
}

/// KYC status.
#[derive(Debug, Clone, Copy, Enum)]
#[oai(rename_all = "snake_case")]
pub enum KycStatus {
    /// Not started.
    NotStarted,
    /// Submitted.
    Pending,
    /// Approved.
    Approved,
    /// Rejected.
    Rejected,
}

fn now() -> chrono::NaiveDateTime {
    Utc::now().naive_utc()
}

/// The accounts operations.
pub struct AccountsApi {
    state: AppState,
}

impl AccountsApi {
    /// Over `state`.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }

    /// Checks `password` for `user` with the login's lockout rules (401 wrong, 423 locked).
    async fn confirm_password(&self, user: &UserRow, password: &str) -> Result<(), ApiError> {
        flows::check_credentials(&self.state, &user.id, password, &SecondFactor::default())
            .await
            .map(|_| ())
    }
}

#[OpenApi(tag = "ApiTags::Accounts")]
impl AccountsApi {
    /// Get the current user
    #[oai(path = "/api/users/me", method = "get", operation_id = "get_current_user")]
    async fn get_current_user(&self, auth: UserAuth) -> ApiResult<Json<AccountUser>, Secured> {
        Ok(Json(AccountUser::of(&auth.0.user)).into())
    }

    /// Update the current user
    #[oai(path = "/api/users/me", method = "patch", operation_id = "update_current_user")]
    async fn update_current_user(
        &self,
        auth: UserAuth,
        body: Json<AccountUserUpdateRequest>,
    ) -> ApiResult<Json<AccountUser>, SecuredConflict> {
        let mut user = auth.0.user;
        let before = user.clone();
        let body = body.0;
        if let Some(name) = body.display_name {
            let name = crate::domain::display_name(&name)
                .ok_or_else(|| ApiError::field("displayName", "must not be blank"))?;
            user.display_name = Some(name);
        }
        if let Some(kind) = body.entity_type {
            user.entity_type = kind.as_str().into();
        }
        if let Some(address) = body.billing_address {
            user.billing_country = address.country.or(user.billing_country);
            user.billing_zip_code = address.zip_code.or(user.billing_zip_code);
            user.billing_address = address.address.or(user.billing_address);
            user.billing_state = address.state.or(user.billing_state);
        }
        match body.wallet_address {
            MaybeUndefined::Undefined => {}
            MaybeUndefined::Null => user.wallet_address = None,
            MaybeUndefined::Value(Nullable(value)) => {
                user.wallet_address = match value {
                    None => None,
                    Some(text) => {
                        Some(wallet::parse(&text).map_err(|e| ApiError::field("walletAddress", e.to_string()))?)
                    }
                }
            }
        }
        if user != before {
            user.updated_at = now();
            let mut conn = self.state.db.conn().await?;
            if let Some(address) = &user.wallet_address
                && before.wallet_address.as_ref() != Some(address)
                && users::wallet_owner(&mut conn, address)
                    .await?
                    .is_some_and(|owner| owner != user.id)
            {
                return Err(ApiError::Conflict("This wallet is already linked to another account.".into()).into());
            }
            users::save_profile(&mut conn, &user).await?;
        }
        Ok(Json(AccountUser::of(&user)).into())
    }

    /// Delete the current user's account
    #[oai(path = "/api/users/me", method = "delete", operation_id = "delete_current_user")]
    async fn delete_current_user(
        &self,
        auth: UserAuth,
        body: Json<AccountDeleteRequest>,
    ) -> ApiResult<Json<OkResponse>, AccountDelete> {
        let user = auth.0.user;
        self.confirm_password(&user, &body.password).await?;
        let mut conn = self.state.db.conn().await?;
        match users::erase(&mut conn, &user.id, now()).await {
            Ok(()) => {}
            Err(DbError::Conflict(_)) => {
                return Err(ApiError::Conflict("You are the only admin: promote another admin first.".into()).into());
            }
            Err(other) => return Err(other.into()),
        }
        Ok(OkResponse::with("Account deleted").into())
    }

    /// Change the current user's password
    #[oai(path = "/api/users/me/password", method = "put", operation_id = "change_password")]
    async fn change_password(
        &self,
        auth: UserAuth,
        body: Json<AccountChangePasswordRequest>,
    ) -> ApiResult<Json<OkResponse>, PasswordChange> {
        let principal = auth.0;
        password::check_policy(&body.new_password).map_err(|m| ApiError::field("newPassword", m))?;
        if body.new_password == body.old_password {
            return Err(ApiError::field("newPassword", "must differ from oldPassword").into());
        }
        self.confirm_password(&principal.user, &body.old_password).await?;
        let hash = password::hash_async(body.new_password.clone()).await;
        let mut conn = self.state.db.conn().await?;
        users::set_password(&mut conn, &principal.user.id, &hash, now()).await?;
        sessions::revoke_all(&mut conn, &principal.user.id, principal.session_id.as_deref(), now()).await?;
        Ok(OkResponse::with("Password changed").into())
    }

    /// Verify an email address by path (Bloq)
    #[oai(
        path = "/api/users/:userId/token/:token",
        method = "put",
        operation_id = "verify_user_email"
    )]
    async fn verify_user_email(
        &self,
        #[oai(name = "userId", validator(min_length = 1, max_length = 128))] user_id: Path<String>,
        #[oai(validator(min_length = 1, max_length = 256))] token: Path<String>,
    ) -> ApiResult<Json<OkResponse>, PublicLookup> {
        let mut conn = self.state.db.conn().await?;
        let user = users::find(&mut conn, &user_id.0).await.map_err(|e| match e {
            DbError::NotFound => ApiError::NotFound("No such user.".into()),
            other => other.into(),
        })?;
        let hash = secret::digest(&token.0);
        if !users::verify_email_with_token(&mut conn, &user.id, &hash, now()).await? {
            return Err(ApiError::field("token", "invalid, expired, already used or issued to another user").into());
        }
        Ok(OkResponse::with("Email verified").into())
    }

    /// List the current user's audit events
    #[oai(path = "/api/users/me/events", method = "get", operation_id = "list_events")]
    async fn list_events(
        &self,
        auth: UserAuth,
        #[oai(
            default = "default_events_limit",
            validator(minimum(value = "1"), maximum(value = "100"))
        )]
        limit: Query<i64>,
        #[oai(default, validator(minimum(value = "0")))] offset: Query<i64>,
    ) -> ApiResult<EventsReply, Secured> {
        let mut conn = self.state.db.conn().await?;
        let rows = events::list(&mut conn, &auth.0.user.id, limit.0, offset.0).await?;
        let total = events::count(&mut conn, &auth.0.user.id).await?;
        Ok(EventsReply::Ok(Json(rows.into_iter().map(AccountEvent::of).collect()), total).into())
    }

    /// List the current user's sessions
    #[oai(path = "/api/users/me/sessions", method = "get", operation_id = "list_sessions")]
    async fn list_sessions(
        &self,
        auth: UserAuth,
        active: Query<Option<bool>>,
        #[oai(
            default = "default_sessions_limit",
            validator(minimum(value = "1"), maximum(value = "100"))
        )]
        limit: Query<i64>,
        #[oai(default, validator(minimum(value = "0")))] offset: Query<i64>,
    ) -> ApiResult<Json<AccountSessionList>, Secured> {
        let principal = auth.0;
        let filter = SessionFilter {
            user_id: Some(principal.user.id.clone()),
            active: active.0,
            limit: limit.0,
            offset: offset.0,
        };
        let mut conn = self.state.db.conn().await?;
        let rows = sessions::list(&mut conn, &filter, now()).await?;
        let current = principal.session_id.as_deref();
        Ok(AccountSessionList::of(rows, current).into())
    }

    /// Revoke one of the current user's sessions
    #[oai(
        path = "/api/users/me/sessions/:id",
        method = "delete",
        operation_id = "revoke_session"
    )]
    async fn revoke_session(
        &self,
        auth: UserAuth,
        #[oai(validator(min_length = 1, max_length = 128))] id: Path<String>,
    ) -> ApiResult<Json<OkResponse>, SecuredLookup> {
        let mut conn = self.state.db.conn().await?;
        let not_found = || ApiError::NotFound("No such session.".into());
        let session = sessions::find(&mut conn, &id.0).await.map_err(|e| match e {
            DbError::NotFound => not_found(),
            other => other.into(),
        })?;
        if session.user_id != auth.0.user.id {
            return Err(not_found().into());
        }
        sessions::revoke(&mut conn, &session.id, now()).await?;
        Ok(OkResponse::with("Session revoked").into())
    }

    /// Get the current user's profile (seed 003)
    #[oai(path = "/api/profile", method = "get", operation_id = "get_profile")]
    async fn get_profile(&self, auth: UserAuth) -> ApiResult<Json<AccountProfileResponse>, Secured> {
        let user = auth.0.user;
        let mut conn = self.state.db.conn().await?;
        let score = crate::db::credit::latest_score(&mut conn, &user.id).await?;
        Ok(Json(AccountProfileResponse {
            success: True,
            data: AccountProfileData {
                status: AccountStatus::of(&user),
                created_at: Timestamp::from_naive(user.created_at),
                last_login: user.last_login_at.map(Timestamp::from_naive).into(),
                profile: AccountProfileDetails {
                    wallet_address: user.wallet_address.clone().into(),
                    full_name: user.display_name.clone().into(),
                    kyc_status: KycStatus::NotStarted,
                    credit_score: Nullable(score.as_ref().and_then(|s| i32::try_from(s.score).ok())),
                    last_score_update: Nullable(score.map(|s| Timestamp::from_naive(s.calculated_at))),
                },
                id: user.id,
                email: user.email,
            },
        })
        .into())
    }
}

fn default_events_limit() -> i64 {
    50
}

fn default_sessions_limit() -> i64 {
    100
}
