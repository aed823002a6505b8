//! Auth group, two-factor authentication (TOTP, RFC 6238: SHA-1, 6 digits, 30-second steps,
//! ±1 step, each code accepted once) with one-time recovery codes.

use chrono::{Duration, NaiveDateTime, Utc};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::ApiTags;
use super::auth::AuthMessageResponse;
use super::statuses::{SecuredConflict, TwoFactorDisable, TwoFactorSetup};
use crate::auth::extract::UserAuth;
use crate::auth::flows::{self, LOCK_MINUTES, MAX_FAILED_LOGINS};
use crate::auth::{password, totp};
use crate::db::users::{self, UserRow};
use crate::db::{recovery, two_factor};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The issuer shown by authenticator apps.
pub const ISSUER: &str = "Meridian";
/// Recovery codes issued when 2FA is enabled.
pub const RECOVERY_CODES: usize = 10;

/// `GET /api/auth/2fa/enable` answer: the pending secret.
#[derive(Debug, Object)]
pub struct TwoFactorSetupResponse {
    /// Always `true`.
    pub success: bool,
    /// The secret, base32 without padding.
    pub secret: String,
    /// The `otpauth://` URL for a QR code.
    pub otpauth_url: String,
}

/// `POST /api/auth/2fa/enable` body.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct EnableTwoFactorRequest {
    /// A current code of the pending secret.
    pub totp_code: String,
}

/// `POST /api/auth/2fa/enable` answer: the recovery codes, shown only here.
#[derive(Debug, Object)]
pub struct EnableTwoFactorResponse {
    /// Always `true`.
    pub success: bool,
    /// What happened.
    pub message: String,
    /// Ten one-time recovery codes.
    pub recovery_codes: Vec<String>,
}

/// `POST /api/auth/2fa/disable` body.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct DisableTwoFactorRequest {
    /// The account password.
    pub password: String,
    /// A current TOTP code.
    pub totp_code: Option<String>,
    /// An unused recovery code.
    pub recovery_code: Option<String>,
}

/// `POST /api/auth/2fa/verify` body.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct VerifyTwoFactorRequest {
    /// The code to check.
    pub totp_code: String,
}

/// `POST /api/auth/2fa/verify` answer.
#[derive(Debug, Object)]
pub struct VerifyTwoFactorResponse {
    /// Always `true`.
    pub success: bool,
    /// Whether the code is valid now.
    pub valid: bool,
}

/// A new recovery code: ten random lowercase letters or digits as `xxxxx-xxxxx` (about 52
/// bits; stored only as a hash, usable once).
pub fn recovery_code() -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    let mut code: String = (0..10)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect();
    code.insert(5, '-');
    code
}

/// The second factor of a disable request: exactly one of a TOTP or a recovery code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DisableFactor<'a> {
    /// A TOTP code.
    Totp(&'a str),
    /// A recovery code.
    Recovery(&'a str),
}

impl<'a> DisableFactor<'a> {
    /// The one code sent; 400 for both or neither.
    pub fn of(totp_code: Option<&'a str>, recovery_code: Option<&'a str>) -> Result<Self, ApiError> {
        match (totp_code, recovery_code) {
            (Some(code), None) => Ok(Self::Totp(code)),
            (None, Some(code)) => Ok(Self::Recovery(code)),
            (Some(_), Some(_)) => Err(ApiError::field(
                "recovery_code",
                "send either totp_code or recovery_code, not both",
            )),
            (None, None) => Err(ApiError::field(
                "totp_code",
                "send a totp_code (or a recovery_code when the authenticator is lost)",
            )),
        }
    }
}

fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

fn unix_now() -> u64 {
    Utc::now().timestamp().max(0) as u64
}

/// 409 when 2FA is off.
fn not_enabled() -> ApiError {
    ApiError::Conflict("Two-factor authentication is not enabled.".into())
}

/// 409 when 2FA is already on.
fn already_enabled() -> ApiError {
    ApiError::Conflict("Two-factor authentication is already enabled; disable it first.".into())
}

/// The auth group's 2FA operations.
pub struct TwoFactorApi {
    state: AppState,
}

impl TwoFactorApi {
    /// Over `state`.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }

    /// Checks `user`'s password the way login does: 423 while locked; a wrong one is a failed
    /// attempt (401, or 423 at the fifth in a row); a right one ends the run of failures.
    async fn check_password(&self, user: &UserRow, given: &str) -> Result<(), ApiError> {
        let at = now();
        if let Some(until) = user.locked_until.filter(|until| *until > at) {
            return Err(flows::locked(until, at));
        }
        let mut conn = self.state.db.conn().await?;
        if !password::verify_async(user.password_hash.clone(), given.to_owned()).await {
            let lock_until = at + Duration::minutes(LOCK_MINUTES);
            let count = users::record_failed_login(&mut conn, &user.id, MAX_FAILED_LOGINS, lock_until, at).await?;
            if count >= MAX_FAILED_LOGINS {
                return Err(flows::locked(lock_until, at));
            }
            return Err(ApiError::Unauthorized("The password is wrong.".into()));
        }
        Ok(())
    }

    /// Counts a rejected second factor like a failed login (423 at the limit).
    async fn count_failure(&self, user: &UserRow, error: ApiError) -> ApiError {
        let at = now();
        let lock_until = at + Duration::minutes(LOCK_MINUTES);
        let counted = match self.state.db.conn().await {
            Ok(mut conn) => users::record_failed_login(&mut conn, &user.id, MAX_FAILED_LOGINS, lock_until, at).await,
            Err(e) => Err(e),
        };
        match counted {
            Ok(count) if count >= MAX_FAILED_LOGINS => flows::locked(lock_until, at),
            Ok(_) => error,
            Err(db) => db.into(),
        }
    }
}

#[OpenApi(tag = "ApiTags::Auth")]
impl TwoFactorApi {
    /// Start two-factor setup
    #[oai(path = "/api/auth/2fa/enable", method = "get", operation_id = "get_2fa_setup")]
    async fn get_2fa_setup(&self, auth: UserAuth) -> ApiResult<Json<TwoFactorSetupResponse>, TwoFactorSetup> {
        let user = &auth.0.user;
        if user.totp_enabled {
            return Err(already_enabled().into());
        }
        let secret = totp::generate_secret();
        let mut conn = self.state.db.conn().await?;
        if !two_factor::begin_setup(&mut conn, &user.id, &secret, now()).await? {
            return Err(already_enabled().into());
        }
        Ok(Json(TwoFactorSetupResponse {
            success: true,
            otpauth_url: totp::otpauth_url(&secret, &user.email, ISSUER),
            secret,
        })
        .into())
    }

    /// Confirm and enable two-factor authentication
    #[oai(path = "/api/auth/2fa/enable", method = "post", operation_id = "enable_2fa")]
    async fn enable_2fa(
        &self,
        auth: UserAuth,
        body: Json<EnableTwoFactorRequest>,
    ) -> ApiResult<Json<EnableTwoFactorResponse>, SecuredConflict> {
        let user = &auth.0.user;
        if user.totp_enabled {
            return Err(already_enabled().into());
        }
        let Some(secret) = &user.totp_secret else {
            return Err(
                ApiError::bad_request("No two-factor setup is pending: call GET /api/auth/2fa/enable first.").into(),
            );
        };
        let Some(step) = totp::matching_step(secret, &body.totp_code, unix_now(), user.totp_last_step) else {
            return Err(ApiError::field("totp_code", "the code is wrong or expired").into());
        };
        let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
        let hashes: Vec<String> = codes.iter().map(|c| recovery::digest_code(c)).collect();
        let mut conn = self.state.db.conn().await?;
        if !two_factor::enable(&mut conn, &user.id, secret, step as i64, &hashes, now()).await? {
            // Enabled meanwhile, or the pending secret was replaced by a newer setup.
            let current = users::find(&mut conn, &user.id).await?;
            if current.totp_enabled {
                return Err(already_enabled().into());
            }
            return Err(ApiError::field(
                "totp_code",
                "the setup was replaced by a newer one; use a code of the latest secret",
            )
            .into());
        }
        Ok(Json(EnableTwoFactorResponse {
            success: true,
            message: "Two-factor authentication enabled".into(),
            recovery_codes: codes,
        })
        .into())
    }

    /// Disable two-factor authentication
    #[oai(path = "/api/auth/2fa/disable", method = "post", operation_id = "disable_2fa")]
    async fn disable_2fa(
        &self,
        auth: UserAuth,
        body: Json<DisableTwoFactorRequest>,
    ) -> ApiResult<Json<AuthMessageResponse>, TwoFactorDisable> {
        let user = &auth.0.user;
        let factor = DisableFactor::of(body.totp_code.as_deref(), body.recovery_code.as_deref())?;
        self.check_password(user, &body.password).await?;
        if !user.totp_enabled {
            return Err(not_enabled().into());
        }
        let mut conn = self.state.db.conn().await?;
        let accepted = match factor {
            DisableFactor::Totp(code) => match user
                .totp_secret
                .as_deref()
                .and_then(|secret| totp::matching_step(secret, code, unix_now(), user.totp_last_step))
            {
                Some(step) => users::claim_totp_step(&mut conn, &user.id, step as i64).await?,
                None => false,
            },
            DisableFactor::Recovery(code) => {
                recovery::consume(&mut conn, &user.id, &recovery::digest_code(code), now()).await?
            }
        };
        if !accepted {
            let error = match factor {
                DisableFactor::Totp(_) => ApiError::field("totp_code", "the code is wrong, expired or already used"),
                DisableFactor::Recovery(_) => ApiError::field("recovery_code", "the code is wrong or already used"),
            };
            return Err(self.count_failure(user, error).await.into());
        }
        two_factor::reset_failed_logins(&mut conn, &user.id).await?;
        if !two_factor::disable(&mut conn, &user.id, now()).await? {
            return Err(not_enabled().into());
        }
        Ok(AuthMessageResponse::ok("Two-factor authentication disabled").into())
    }

    /// Check a TOTP code
    #[oai(path = "/api/auth/2fa/verify", method = "post", operation_id = "verify_2fa")]
    async fn verify_2fa(
        &self,
        auth: UserAuth,
        body: Json<VerifyTwoFactorRequest>,
    ) -> ApiResult<Json<VerifyTwoFactorResponse>, SecuredConflict> {
        let user = &auth.0.user;
        let secret = match (&user.totp_secret, user.totp_enabled) {
            (Some(secret), true) => secret,
            _ => return Err(not_enabled().into()),
        };
        // A standalone check: nothing is recorded, so the code stays usable.
        let valid = totp::matching_step(secret, &body.totp_code, unix_now(), None).is_some();
        Ok(Json(VerifyTwoFactorResponse { success: true, valid }).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_match_both_schemas_and_differ() {
        let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
        for code in &codes {
            let (a, b) = code.split_once('-').expect("a hyphen");
            assert_eq!((a.len(), b.len()), (5, 5), "{code}");
            assert!(
                code.chars()
                    .all(|c| c == '-' || c.is_ascii_lowercase() || c.is_ascii_digit()),
                "{code}"
            );
        }
        let unique: std::collections::BTreeSet<_> = codes.iter().collect();
        assert_eq!(unique.len(), codes.len());
        // Stored forms ignore case and the hyphen, as the login and disable schemas allow.
        let code = &codes[0];
        assert_eq!(
            recovery::digest_code(code),
            recovery::digest_code(&code.replace('-', "").to_uppercase())
        );
    }

    #[test]
    fn disable_needs_exactly_one_code() {
        assert_eq!(
            DisableFactor::of(Some("123456"), None).unwrap(),
            DisableFactor::Totp("123456")
        );
        assert_eq!(
            DisableFactor::of(None, Some("abcde-12345")).unwrap(),
            DisableFactor::Recovery("abcde-12345")
        );
        for (t, r, field) in [
            (Some("123456"), Some("abcde-12345"), "recovery_code"),
            (None, None, "totp_code"),
        ] {
            match DisableFactor::of(t, r) {
                Err(ApiError::BadRequest { errors, .. }) => assert_eq!(errors[0].field, field),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn the_lockout_message_counts_minutes_up() {
        let at = Utc::now().naive_utc();
        match flows::locked(at + Duration::minutes(30), at) {
            ApiError::Locked { message, retry_after } => {
                assert_eq!(retry_after, 1800);
                assert!(message.ends_with("try again in 30 minute(s)."), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }
}
