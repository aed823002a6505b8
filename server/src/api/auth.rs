//! Auth group, sessions: register, login, logout and refresh (seeds 003, 000, 001).

use poem::Request;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, Union};

use super::ApiTags;
use super::cookies::{WithCookies, cleared_cookies, session_cookies};
use super::statuses::{Login, Refresh, Register, Secured};
use super::types::{OptionalJson, Timestamp, True};
use crate::auth::extract::{Anonymous, UserAuth, cookie};
use crate::auth::flows::{self, ClientInfo, Issued, LoginOutcome, SecondFactor};
use crate::db::sessions;
use crate::db::users::UserRow;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// `POST /api/auth/register` body.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct RegisterRequest {
    /// Email address (unique, case-insensitive).
    pub email: String,
    /// Password meeting the policy.
    pub password: String,
}

/// `POST /api/auth/register` answer.
#[derive(Debug, Object)]
pub struct RegisterResponse {
    /// Always `true`.
    pub success: bool,
    /// What happened.
    pub message: String,
    /// The new account.
    pub user: RegisteredUser,
}

/// A just-registered user.
#[derive(Debug, Object)]
pub struct RegisteredUser {
    /// User id.
    pub id: String,
    /// Email address.
    pub email: String,
    /// Always `pending` until the email is verified.
    pub status: PendingStatus,
    /// Creation time.
    pub created_at: Timestamp,
}

/// The status of a new account.
#[derive(Debug, Clone, Copy, Enum)]
#[oai(rename_all = "lowercase")]
pub enum PendingStatus {
    /// Email not verified yet.
    Pending,
}

/// An account's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum UserStatus {
    /// Email not verified yet.
    Pending,
    /// Verified.
    Active,
}

impl UserStatus {
    /// From the stored text.
    pub fn of(user: &UserRow) -> Self {
        if user.status == "active" {
            Self::Active
        } else {
            Self::Pending
        }
    }
}

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum Role {
    /// A regular user.
    User,
    /// Staff: reads admin data.
    Staff,
    /// Admin: changes users and sessions.
    Admin,
}

impl Role {
    /// From the stored text.
    pub fn of(user: &UserRow) -> Self {
        match user.role.as_str() {
            "admin" => Self::Admin,
            "staff" => Self::Staff,
            _ => Self::User,
        }
    }
}

/// `POST /api/auth/login` body.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct LoginRequest {
    /// Email address.
    pub email: String,
    /// Password.
    pub password: String,
    /// TOTP code when 2FA is on.
    pub totp_code: Option<String>,
    /// Seed 000's name for `totp_code`.
    #[oai(rename = "totpToken")]
    pub totp_token: Option<String>,
    /// A one-time recovery code instead of the TOTP code.
    pub recovery_code: Option<String>,
}

/// Login answer: tokens, or a request for the second factor.
#[derive(Debug, Union)]
#[oai(one_of)]
pub enum LoginResponse {
    /// Signed in.
    LoginSuccess(LoginSuccess),
    /// 2FA is on and no code was sent.
    LoginTwoFactorRequired(LoginTwoFactorRequired),
}

/// A successful login or refresh.
#[derive(Debug, Object)]
pub struct LoginSuccess {
    /// Always `true`.
    pub success: bool,
    /// What happened.
    pub message: String,
    /// The user.
    pub user: LoginUser,
    /// The session's tokens.
    pub tokens: AuthTokens,
}

/// 2FA required.
#[derive(Debug, Object)]
pub struct LoginTwoFactorRequired {
    /// Always `true`.
    pub success: bool,
    /// Always `true`.
    pub requires_2fa: True,
    /// What to do.
    pub message: String,
}

/// The user in a login answer.
#[derive(Debug, Object)]
pub struct LoginUser {
    /// User id.
    pub id: String,
    /// Email address.
    pub email: String,
    /// Account status.
    pub status: UserStatus,
    /// This login.
    pub last_login: Timestamp,
    /// Role.
    pub role: Option<Role>,
}

/// Session tokens.
#[derive(Debug, Object)]
pub struct AuthTokens {
    /// Access token (JWT, 15 minutes).
    pub access_token: String,
    /// Refresh token (7 days, single use).
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: Option<TokenType>,
    /// Access token lifetime, seconds.
    pub expires_in: Option<i64>,
}

/// The token type.
#[derive(Debug, Clone, Copy, Enum)]
pub enum TokenType {
    /// `Authorization: Bearer <token>`.
    Bearer,
}

/// `{success, message}`.
#[derive(Debug, Object)]
pub struct AuthMessageResponse {
    /// Always `true`.
    pub success: bool,
    /// What happened.
    pub message: String,
}

impl AuthMessageResponse {
    /// A success message.
    pub fn ok(message: impl Into<String>) -> Json<Self> {
        Json(Self {
            success: true,
            message: message.into(),
        })
    }
}

/// `POST /api/auth/refresh` body.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct RefreshTokenRequest {
    /// The refresh token (else the `refreshToken` cookie).
    pub refresh_token: Option<String>,
}

/// 201 Created.
#[derive(ApiResponse)]
pub enum Created<T: poem_openapi::types::ToJSON + Send + Sync> {
    /// Created.
    #[oai(status = 201)]
    Created(Json<T>),
}

/// The login-shaped body of a session.
fn login_success(user: &UserRow, issued: &Issued, message: &str) -> LoginSuccess {
    LoginSuccess {
        success: true,
        message: message.into(),
        user: LoginUser {
            id: user.id.clone(),
            email: user.email.clone(),
            status: UserStatus::of(user),
            last_login: Timestamp(user.last_login_at.unwrap_or(user.created_at).and_utc()),
            role: Some(Role::of(user)),
        },
        tokens: AuthTokens {
            access_token: issued.access_token.clone(),
            refresh_token: issued.refresh_token.clone(),
            token_type: Some(TokenType::Bearer),
            expires_in: Some(issued.expires_in),
        },
    }
}

fn cookies_for(issued: &Issued) -> Vec<String> {
    session_cookies(
        &issued.access_token,
        issued.expires_in,
        &issued.refresh_token,
        flows::REFRESH_TTL_DAYS * 86_400,
    )
}

/// The auth group's session operations.
pub struct AuthApi {
    state: AppState,
}

impl AuthApi {
    /// Over `state`.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[OpenApi(tag = "ApiTags::Auth")]
impl AuthApi {
    /// Register a new account
    #[oai(path = "/api/auth/register", method = "post", operation_id = "register")]
    async fn register(&self, body: Json<RegisterRequest>) -> ApiResult<Created<RegisterResponse>, Register> {
        let user = flows::register(&self.state, &body.email, &body.password).await?;
        crate::auth::email::send_verification(&self.state, &user).await?;
        Ok(Created::Created(Json(RegisterResponse {
            success: true,
            message: "User registered successfully. Please check your email to verify your account.".into(),
            user: RegisteredUser {
                id: user.id,
                email: user.email,
                status: PendingStatus::Pending,
                created_at: Timestamp(user.created_at.and_utc()),
            },
        }))
        .into())
    }

    /// Log in with email and password
    #[oai(path = "/api/auth/login", method = "post", operation_id = "login")]
    async fn login(
        &self,
        _auth: Anonymous,
        req: &Request,
        body: Json<LoginRequest>,
    ) -> ApiResult<WithCookies<Json<LoginResponse>>, Login> {
        let totp_code = match (&body.totp_code, &body.totp_token) {
            (Some(a), Some(b)) if a != b => {
                return Err(ApiError::field("totp_code", "totp_code and totpToken differ; send one").into());
            }
            (a, b) => a.clone().or_else(|| b.clone()),
        };
        let second = SecondFactor {
            totp_code,
            recovery_code: body.recovery_code.clone(),
        };
        let outcome = flows::login(
            &self.state,
            &body.email,
            &body.password,
            &second,
            &ClientInfo::from_request(req),
        )
        .await?;
        Ok(match outcome {
            LoginOutcome::Success { user, issued } => WithCookies::new(
                Json(LoginResponse::LoginSuccess(login_success(
                    &user,
                    &issued,
                    "Login successful",
                ))),
                cookies_for(&issued),
            ),
            LoginOutcome::TwoFactorRequired => WithCookies::new(
                Json(LoginResponse::LoginTwoFactorRequired(LoginTwoFactorRequired {
                    success: true,
                    requires_2fa: True,
                    message: "Two-factor authentication required: send totp_code (or a recovery_code).".into(),
                })),
                Vec::new(),
            ),
        }
        .into())
    }

    /// Log out of the current session
    #[oai(path = "/api/auth/logout", method = "post", operation_id = "logout")]
    async fn logout(&self, auth: UserAuth) -> ApiResult<WithCookies<Json<AuthMessageResponse>>, Secured> {
        if let Some(sid) = &auth.0.session_id {
            let mut conn = self.state.db.conn().await?;
            sessions::revoke(&mut conn, sid, chrono::Utc::now().naive_utc()).await?;
        }
        Ok(WithCookies::new(AuthMessageResponse::ok("Logout successful"), cleared_cookies()).into())
    }

    /// Exchange a refresh token for new tokens
    #[oai(path = "/api/auth/refresh", method = "post", operation_id = "refresh_token")]
    async fn refresh_token(
        &self,
        _auth: Anonymous,
        req: &Request,
        body: OptionalJson<RefreshTokenRequest>,
    ) -> ApiResult<WithCookies<Json<LoginSuccess>>, Refresh> {
        let token = body
            .0
            .and_then(|b| b.refresh_token)
            .or_else(|| cookie(req, "refreshToken"))
            .ok_or_else(|| ApiError::Unauthorized("Send a refresh_token (or the refreshToken cookie).".into()))?;
        let (user, issued) = flows::refresh(&self.state, &token).await?;
        let cookies = cookies_for(&issued);
        Ok(WithCookies::new(Json(login_success(&user, &issued, "Token refreshed")), cookies).into())
    }
}
