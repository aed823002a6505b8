//! Auth group, email flows: verification, resend, status, forgot and reset password.
//!
//! Tokens are single-use, expire (24 h for verification, 1 h for reset), are stored hashed
//! and reach the user only through the mailer; a newer token supersedes earlier ones. The
//! anonymous endpoints answer the same whether or not an email is registered, except
//! `GET /api/auth/verification-status`, whose 404 the spec documents.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{NaiveDateTime, Utc};
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::types::{ParseError, ParseFromParameter, ParseResult, Type};
use poem_openapi::{Enum, Object, OpenApi};

use super::ApiTags;
use super::auth::AuthMessageResponse;
use super::statuses::{PublicBody, PublicLookup};
use super::types::{Nullable, Timestamp};
use crate::auth::flows::normalise_email;
use crate::auth::{email, password, secret};
use crate::db::one_time_tokens::{self, VERIFY_EMAIL};
use crate::db::users::{self, UserRow};
use crate::db::{DbConn, DbError};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Seconds between two verification messages to one address.
pub const RESEND_COOLDOWN_SECS: u64 = 60;
/// Longest email address accepted (RFC 5321 path limit, as the spec's `maxLength`).
pub const MAX_EMAIL_LEN: usize = 254;

/// `POST /api/auth/verify-email` body.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct VerifyEmailRequest {
    /// The token from the verification message.
    pub token: String,
}

/// `POST /api/auth/verify-email` answer (seed 001).
#[derive(Debug, Object)]
pub struct VerifyEmailResponse {
    /// Always `true`.
    pub success: bool,
    /// What happened.
    pub message: String,
    /// The web app's sign-in page (sent when a web app URL is configured).
    #[oai(skip_serializing_if_is_none)]
    pub redirect_url: Option<String>,
    /// The web app's resend page (sent when a web app URL is configured).
    #[oai(skip_serializing_if_is_none)]
    pub resend_url: Option<String>,
    /// The verified user's id.
    pub user_id: String,
    /// The verified address.
    pub email: String,
}

/// `POST /api/auth/resend-verification` body.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ResendVerificationRequest {
    /// The address to send a new message to.
    pub email: String,
}

/// `POST /api/auth/resend-verification` answer: the same for every address.
#[derive(Debug, Object)]
pub struct ResendVerificationResponse {
    /// Always `true`.
    pub success: bool,
    /// A neutral confirmation.
    pub message: String,
    /// Seconds before another request for this address sends anything.
    pub retry_after: i64,
}

/// Verification state of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum VerificationState {
    /// The email is verified.
    Verified,
    /// Not verified; the latest token is still valid.
    Pending,
    /// Not verified and no valid token.
    Expired,
}

/// `GET /api/auth/verification-status` answer (seed 001).
#[derive(Debug, Object)]
pub struct VerificationStatusResponse {
    /// The account's address.
    pub email: String,
    /// Whether the email is verified.
    pub is_verified: bool,
    /// `verified`, `pending` or `expired`.
    pub status: VerificationState,
    /// When the email was verified.
    pub verified_at: Nullable<Timestamp>,
    /// When the latest verification token expires or expired.
    pub token_expires_at: Nullable<Timestamp>,
    /// Seconds until `token_expires_at` (0 when verified, past or none).
    pub time_remaining_seconds: i64,
}

/// `POST /api/auth/forgot-password` body.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ForgotPasswordRequest {
    /// The account's address.
    pub email: String,
}

/// `POST /api/auth/reset-password` body.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ResetPasswordRequest {
    /// The token from the reset message.
    pub token: String,
    /// The new password.
    pub password: String,
}

/// An email address in a query string: `{type: string, format: email, maxLength: 254}`,
/// checked when parsed (query parameters are not validated against the bundle).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailParam(pub String);

impl Type for EmailParam {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "string_email".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            max_length: Some(MAX_EMAIL_LEN),
            ..MetaSchema::new_with_format("string", "email")
        }))
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl ParseFromParameter for EmailParam {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        if value.chars().count() > MAX_EMAIL_LEN {
            return Err(ParseError::custom(format!(
                "must be at most {MAX_EMAIL_LEN} characters"
            )));
        }
        if !is_email(value) {
            return Err(ParseError::custom("must be an email address"));
        }
        Ok(Self(value.to_owned()))
    }
}

/// A plausible email address: `local@domain`, no whitespace, a dot-separated domain of
/// non-empty labels (what the bundle's `format: email` accepts in practice).
pub fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        && !local.contains('@')
        && domain.split('.').all(|label| !label.is_empty())
}

/// The state of an account's verification at `now`: the status, and the seconds left on
/// its latest token (0 when verified, expired or none).
pub fn verification_state(
    verified: bool,
    latest: Option<&one_time_tokens::IssuedToken>,
    now: NaiveDateTime,
) -> (VerificationState, i64) {
    if verified {
        return (VerificationState::Verified, 0);
    }
    let remaining = latest.map_or(0, |t| (t.expires_at - now).num_seconds().max(0));
    match latest {
        Some(token) if token.is_valid(now) => (VerificationState::Pending, remaining),
        _ => (VerificationState::Expired, remaining),
    }
}

/// Whether `user`'s email is verified.
fn is_verified(user: &UserRow) -> bool {
    user.verified_at.is_some() || user.status == "active"
}

/// The per-address cooldown of verification messages: in Redis when configured (so
/// replicas agree), otherwise (or while Redis fails) in this process. It is kept for every
/// address asked about, registered or not, so `retry_after` says nothing about accounts.
pub struct ResendCooldown {
    local: Mutex<HashMap<String, Instant>>,
    script: redis::Script,
}

impl Default for ResendCooldown {
    fn default() -> Self {
        Self {
            local: Mutex::new(HashMap::new()),
            script: redis::Script::new(
                "if redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return -1 end \
                 return redis.call('PTTL', KEYS[1])",
            ),
        }
    }
}

impl ResendCooldown {
    /// Starts the cooldown of `address` unless one is running: `None` when it started now
    /// (a message may be sent), else the whole seconds it has left (1 to 60).
    pub async fn start(&self, state: &AppState, address: &str) -> Option<u64> {
        let key = secret::digest(address);
        if let Some(redis) = &state.redis {
            let mut conn = redis.clone();
            let mut call = self
                .script
                .key(format!("{}:resend-cooldown:{key}", state.config.redis_prefix));
            call.arg(RESEND_COOLDOWN_SECS * 1000);
            match tokio::time::timeout(Duration::from_millis(500), call.invoke_async::<i64>(&mut conn)).await {
                Ok(Ok(-1)) => return None,
                Ok(Ok(ms)) => return Some(seconds_left(ms)),
                Ok(Err(error)) => tracing::warn!(%error, "resend cooldown: Redis failed; using the local store"),
                Err(_) => tracing::warn!("resend cooldown: Redis timed out; using the local store"),
            }
        }
        self.start_local(&key, Instant::now())
    }

    /// [`start`](Self::start) on the in-process store, at `now`.
    fn start_local(&self, key: &str, now: Instant) -> Option<u64> {
        let window = Duration::from_secs(RESEND_COOLDOWN_SECS);
        let mut map = self.local.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if map.len() > 10_000 {
            map.retain(|_, started| now.duration_since(*started) < window);
        }
        match map.get(key) {
            Some(started) if now.duration_since(*started) < window => {
                let left = window - now.duration_since(*started);
                Some(seconds_left(left.as_millis() as i64))
            }
            _ => {
                map.insert(key.to_owned(), now);
                None
            }
        }
    }
}

/// Milliseconds left → whole seconds, rounded up, within 1..=60.
fn seconds_left(ms: i64) -> u64 {
    (ms.max(1) as u64).div_ceil(1000).clamp(1, RESEND_COOLDOWN_SECS)
}

/// The user with `email` (already normalised), if any.
async fn find_user(conn: &mut DbConn, email: &str) -> Result<Option<UserRow>, ApiError> {
    match users::find_by_email(conn, email).await {
        Ok(user) => Ok(Some(user)),
        Err(DbError::NotFound) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

/// The auth group's email operations.
pub struct AuthEmailApi {
    state: AppState,
    cooldown: ResendCooldown,
}

impl AuthEmailApi {
    /// Over `state`.
    pub fn new(state: AppState) -> Self {
        Self {
            state,
            cooldown: ResendCooldown::default(),
        }
    }
}

#[OpenApi(tag = "ApiTags::Auth")]
impl AuthEmailApi {
    /// Verify an email address
    #[oai(path = "/api/auth/verify-email", method = "post", operation_id = "verify_email")]
    async fn verify_email(&self, body: Json<VerifyEmailRequest>) -> ApiResult<Json<VerifyEmailResponse>, PublicBody> {
        let mut conn = self.state.db.conn().await?;
        let Some(user_id) = one_time_tokens::verify_email(&mut conn, &secret::digest(&body.token), now()).await? else {
            return Err(ApiError::field(
                "token",
                "The verification token is unknown, expired, already used or superseded; request a new one \
                 with POST /api/auth/resend-verification.",
            )
            .into());
        };
        let user = users::find(&mut conn, &user_id).await?;
        Ok(Json(VerifyEmailResponse {
            success: true,
            message: "Email verified successfully".into(),
            redirect_url: None,
            resend_url: None,
            user_id: user.id,
            email: user.email,
        })
        .into())
    }

    /// Resend the verification message
    #[oai(
        path = "/api/auth/resend-verification",
        method = "post",
        operation_id = "resend_verification"
    )]
    async fn resend_verification(
        &self,
        body: Json<ResendVerificationRequest>,
    ) -> ApiResult<Json<ResendVerificationResponse>, PublicBody> {
        let address = normalise_email(&body.email);
        let retry_after = match self.cooldown.start(&self.state, &address).await {
            Some(left) => left,
            None => {
                let mut conn = self.state.db.conn().await?;
                let user = find_user(&mut conn, &address).await?;
                drop(conn);
                if let Some(user) = user.filter(|u| !is_verified(u)) {
                    email::send_verification(&self.state, &user).await?;
                }
                RESEND_COOLDOWN_SECS
            }
        };
        Ok(Json(ResendVerificationResponse {
            success: true,
            message: "If an unverified account uses this email, a new verification message has been sent.".into(),
            retry_after: retry_after as i64,
        })
        .into())
    }

    /// Get the email verification status
    #[oai(
        path = "/api/auth/verification-status",
        method = "get",
        operation_id = "get_verification_status"
    )]
    async fn get_verification_status(
        &self,
        email: Query<EmailParam>,
    ) -> ApiResult<Json<VerificationStatusResponse>, PublicLookup> {
        let mut conn = self.state.db.conn().await?;
        let Some(user) = find_user(&mut conn, &normalise_email(&email.0.0)).await? else {
            return Err(ApiError::NotFound("No account has this email address.".into()).into());
        };
        let latest = one_time_tokens::latest_issued(&mut conn, &user.id, VERIFY_EMAIL).await?;
        let verified = is_verified(&user);
        let (status, time_remaining_seconds) = verification_state(verified, latest.as_ref(), now());
        Ok(Json(VerificationStatusResponse {
            email: user.email,
            is_verified: verified,
            status,
            verified_at: Nullable(user.verified_at.map(|t| Timestamp(t.and_utc()))),
            token_expires_at: Nullable(latest.map(|t| Timestamp(t.expires_at.and_utc()))),
            time_remaining_seconds,
        })
        .into())
    }

    /// Request a password reset
    #[oai(
        path = "/api/auth/forgot-password",
        method = "post",
        operation_id = "forgot_password"
    )]
    async fn forgot_password(
        &self,
        body: Json<ForgotPasswordRequest>,
    ) -> ApiResult<Json<AuthMessageResponse>, PublicBody> {
        let mut conn = self.state.db.conn().await?;
        let user = find_user(&mut conn, &normalise_email(&body.email)).await?;
        drop(conn);
        if let Some(user) = user {
            email::send_reset(&self.state, &user).await?;
        }
        Ok(AuthMessageResponse::ok("If an account uses this email, a password reset link has been sent.").into())
    }

    /// Set a new password with a reset token
    #[oai(path = "/api/auth/reset-password", method = "post", operation_id = "reset_password")]
    async fn reset_password(
        &self,
        body: Json<ResetPasswordRequest>,
    ) -> ApiResult<Json<AuthMessageResponse>, PublicBody> {
        password::check_policy(&body.password).map_err(|message| ApiError::field("password", message))?;
        let hash = password::hash_async(body.password.clone()).await;
        let mut conn = self.state.db.conn().await?;
        let reset = one_time_tokens::reset_password(&mut conn, &secret::digest(&body.token), &hash, now()).await?;
        if reset.is_none() {
            return Err(ApiError::field(
                "token",
                "The reset token is unknown, expired, already used or superseded; request a new one with \
                 POST /api/auth/forgot-password.",
            )
            .into());
        }
        Ok(AuthMessageResponse::ok("Password reset successfully. Please log in with your new password.").into())
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration as Span;

    use super::*;

    #[test]
    fn emails_in_query_strings_are_checked() {
        assert!(is_email("user@example.com"));
        assert!(is_email("a.b+c@sub.example.co"));
        for bad in [
            "",
            "user",
            "@example.com",
            "user@",
            "us er@example.com",
            "a@b@c.com",
            "a@.com",
            "a@b..c",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
        assert!(EmailParam::parse_from_parameter("user@example.com").is_ok());
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(EmailParam::parse_from_parameter(&long).is_err());
        assert!(EmailParam::parse_from_parameter("nope").is_err());
    }

    #[test]
    fn verification_states_follow_the_latest_token() {
        let now = Utc::now().naive_utc();
        let token = |expires_in: i64, used: bool| one_time_tokens::IssuedToken {
            created_at: now - Span::hours(1),
            expires_at: now + Span::seconds(expires_in),
            used_at: used.then_some(now),
        };
        assert_eq!(
            verification_state(false, Some(&token(82_800, false)), now),
            (VerificationState::Pending, 82_800)
        );
        assert_eq!(
            verification_state(false, Some(&token(-5, false)), now),
            (VerificationState::Expired, 0)
        );
        assert_eq!(verification_state(false, None, now), (VerificationState::Expired, 0));
        assert_eq!(
            verification_state(true, Some(&token(100, true)), now),
            (VerificationState::Verified, 0)
        );
        // A used (or superseded) latest token is no longer pending.
        assert_eq!(
            verification_state(false, Some(&token(100, true)), now).0,
            VerificationState::Expired
        );
    }

    #[test]
    fn the_local_cooldown_lasts_sixty_seconds_per_address() {
        let cooldown = ResendCooldown::default();
        let start = Instant::now();
        assert_eq!(cooldown.start_local("a", start), None, "first request starts it");
        assert_eq!(cooldown.start_local("a", start), Some(60));
        assert_eq!(
            cooldown.start_local("a", start + Duration::from_millis(30_500)),
            Some(30)
        );
        assert_eq!(cooldown.start_local("b", start), None, "per address");
        assert_eq!(cooldown.start_local("a", start + Duration::from_secs(60)), None, "over");
        assert_eq!(seconds_left(1), 1);
        assert_eq!(seconds_left(59_001), 60);
        assert_eq!(seconds_left(-2), 1);
    }
}
