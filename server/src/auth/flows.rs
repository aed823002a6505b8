//! The account flows behind the auth endpoints — register, login (lockout, ban, 2FA), session
//! tokens and refresh rotation — as functions of the state, so handlers stay thin.

use chrono::{Duration, NaiveDateTime, Utc};

use super::tokens::{ClaimsExtra, TokenKind};
use super::{is_banned, password, secret, totp};
use crate::db::sessions::{self, Rotation, SessionRow};
use crate::db::users::{self, UserRow};
use crate::db::{DbError, recovery};
use crate::error::ApiError;
use crate::state::AppState;

/// Refresh-token (and login-session) lifetime.
pub const REFRESH_TTL_DAYS: i64 = 7;
/// Failed logins that lock an account.
pub const MAX_FAILED_LOGINS: i32 = 5;
/// Lock duration.
pub const LOCK_MINUTES: i64 = 30;

/// Who is calling: recorded on the session.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    /// Client IP.
    pub ip: Option<String>,
    /// User agent (truncated to 512 characters).
    pub user_agent: Option<String>,
}

impl ClientInfo {
    /// From a request's remote address and `User-Agent`.
    pub fn from_request(req: &poem::Request) -> Self {
        Self {
            ip: req.remote_addr().as_socket_addr().map(|a| a.ip().to_string()),
            user_agent: req
                .headers()
                .get(poem::http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|ua| ua.chars().take(512).collect()),
        }
    }
}

/// Tokens of a new or refreshed session.
#[derive(Debug, Clone)]
pub struct Issued {
    /// Access token (JWT, 15 minutes).
    pub access_token: String,
    /// Refresh token (opaque, 7 days, single use).
    pub refresh_token: String,
    /// Access token lifetime in seconds.
    pub expires_in: i64,
    /// The session.
    pub session_id: String,
}

/// Normalises an email for storage and look-up (trimmed, lower-cased).
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

/// Signs an access token for `user` in session `sid`.
fn access_token(state: &AppState, user: &UserRow, sid: &str) -> String {
    let extra = ClaimsExtra {
        sid: Some(sid.to_owned()),
        role: Some(user.role.clone()),
        ..Default::default()
    };
    state
        .keys
        .issue(TokenKind::Access, &user.id, state.config.access_token_ttl_secs, extra)
        .0
}

/// Registers a `pending` user; 400 on a weak password, 409 on a taken email.
pub async fn register(state: &AppState, email: &str, password: &str) -> Result<UserRow, ApiError> {
    password::check_policy(password).map_err(|message| ApiError::field("password", message))?;
    let hash = password::hash_async(password.to_owned()).await;
    let mut user = UserRow::new(secret::id("user"), normalise_email(email), hash, now());
    if state.config.bootstrap_admin.as_deref().map(normalise_email).as_deref() == Some(user.email.as_str()) {
        user.role = "admin".into();
    }
    let mut conn = state.db.conn().await?;
    match users::insert(&mut conn, &user).await {
        Ok(()) => Ok(user),
        Err(DbError::Conflict(_)) => Err(ApiError::Conflict("An account with this email already exists.".into())),
        Err(other) => Err(other.into()),
    }
}

/// Opens a login session for `user` with a first refresh token.
pub async fn open_session(state: &AppState, user: &UserRow, client: &ClientInfo) -> Result<Issued, ApiError> {
    let created = now();
    let session = SessionRow {
        id: secret::id("session"),
        user_id: user.id.clone(),
        kind: "login".into(),
        ip_address: client.ip.clone(),
        user_agent: client.user_agent.clone(),
        created_at: created,
        expires_at: created + Duration::days(REFRESH_TTL_DAYS),
        revoked_at: None,
    };
    let refresh_token = secret::token(32);
    let mut conn = state.db.conn().await?;
    sessions::create(&mut conn, &session, Some(&secret::digest(&refresh_token))).await?;
    Ok(Issued {
        access_token: access_token(state, user, &session.id),
        refresh_token,
        expires_in: state.config.access_token_ttl_secs,
        session_id: session.id,
    })
}

/// What a login attempt came to.
#[derive(Debug, Clone)]
pub enum LoginOutcome {
    /// Signed in.
    Success {
        /// The user (with `last_login_at` updated).
        user: Box<UserRow>,
        /// The new session's tokens.
        issued: Issued,
    },
    /// Right password, 2FA on, no code sent.
    TwoFactorRequired,
}

/// The second factor a login (or a Bloq account-token request) offers.
#[derive(Debug, Clone, Default)]
pub struct SecondFactor {
    /// A TOTP code.
    pub totp_code: Option<String>,
    /// A one-time recovery code.
    pub recovery_code: Option<String>,
}

/// The 423 of a locked account, with seed 000's text.
pub fn locked(until: NaiveDateTime, now: NaiveDateTime) -> ApiError {
    let seconds = (until - now).num_seconds().max(1) as u64;
    let minutes = seconds.div_ceil(60);
    ApiError::Locked {
        message: format!(
            "Account is locked due to multiple failed login attempts. Please try again in {minutes} minute(s)."
        ),
        retry_after: seconds,
    }
}

/// Records a failed attempt (locking at the fifth); the error to answer with.
async fn fail(state: &AppState, user: &UserRow, error: ApiError) -> Result<LoginOutcome, ApiError> {
    let at = now();
    let mut conn = state.db.conn().await?;
    let lock_until = at + Duration::minutes(LOCK_MINUTES);
    let count = users::record_failed_login(&mut conn, &user.id, MAX_FAILED_LOGINS, lock_until, at).await?;
    if count >= MAX_FAILED_LOGINS {
        return Err(locked(lock_until, at));
    }
    Err(error)
}

/// Checks credentials in the order the spec gives — lockout (423), password (401), ban (403),
/// second factor (401 when wrong) — and opens a session when all pass. Unknown emails cost
/// the same hashing time and get the same 401 as wrong passwords.
pub async fn check_credentials(
    state: &AppState,
    login: &str,
    password: &str,
    second: &SecondFactor,
) -> Result<Option<UserRow>, ApiError> {
    let bad = || ApiError::Unauthorized("Invalid email or password.".into());
    let mut conn = state.db.conn().await?;
    // A user id (`user-…`, as Bloq's password grant may send) never contains `@`; an email
    // always does, whatever it starts with.
    let found = if login.starts_with("user-") && !login.contains('@') {
        users::find(&mut conn, login).await
    } else {
        users::find_by_email(&mut conn, &normalise_email(login)).await
    };
    drop(conn);
    let user = match found {
        Ok(user) => user,
        Err(DbError::NotFound) => {
            password::verify_async(password::dummy_hash().to_owned(), password.to_owned()).await;
            return Err(bad());
        }
        Err(other) => return Err(other.into()),
    };
    let at = now();
    if let Some(until) = user.locked_until.filter(|until| *until > at) {
        return Err(locked(until, at));
    }
    if !password::verify_async(user.password_hash.clone(), password.to_owned()).await {
        return fail(state, &user, bad()).await.map(|_| None);
    }
    if is_banned(&user, at) {
        let until = user
            .ban_expires
            .map(|end| format!(" until {}", end.and_utc().format("%Y-%m-%dT%H:%M:%SZ")));
        return Err(ApiError::Forbidden(format!(
            "This account is banned{}.",
            until.unwrap_or_default()
        )));
    }
    if user.totp_enabled {
        if second.totp_code.is_none() && second.recovery_code.is_none() {
            return Ok(None);
        }
        if !accept_second_factor(state, &user, second).await? {
            let error = ApiError::Unauthorized("Invalid, expired or already used two-factor code.".into());
            return fail(state, &user, error).await.map(|_| None);
        }
    }
    Ok(Some(user))
}

/// Accepts a TOTP code (once per step) or a recovery code (once) for `user`.
pub async fn accept_second_factor(state: &AppState, user: &UserRow, second: &SecondFactor) -> Result<bool, ApiError> {
    let mut conn = state.db.conn().await?;
    if let (Some(code), Some(secret)) = (&second.totp_code, &user.totp_secret) {
        let unix = Utc::now().timestamp().max(0) as u64;
        if let Some(step) = totp::matching_step(secret, code, unix, user.totp_last_step) {
            // Conditional update: two concurrent logins with one code cannot both pass.
            return Ok(users::claim_totp_step(&mut conn, &user.id, step as i64).await?);
        }
        return Ok(false);
    }
    if let Some(code) = &second.recovery_code {
        return Ok(recovery::consume(&mut conn, &user.id, &recovery::digest_code(code), now()).await?);
    }
    Ok(false)
}

/// The whole login: credentials, then a session (resetting the failure count).
pub async fn login(
    state: &AppState,
    email: &str,
    password: &str,
    second: &SecondFactor,
    client: &ClientInfo,
) -> Result<LoginOutcome, ApiError> {
    let Some(mut user) = check_credentials(state, email, password, second).await? else {
        return Ok(LoginOutcome::TwoFactorRequired);
    };
    let at = now();
    user.failed_logins = 0;
    user.locked_until = None;
    user.last_login_at = Some(at);
    user.updated_at = at;
    let mut conn = state.db.conn().await?;
    if !users::record_login(&mut conn, &user.id, at).await? {
        // Parallel wrong guesses locked the account while this one was being checked.
        let until = users::find(&mut conn, &user.id).await?.locked_until.unwrap_or(at);
        return Err(locked(until, at));
    }
    drop(conn);
    let issued = open_session(state, &user, client).await?;
    Ok(LoginOutcome::Success {
        user: Box::new(user),
        issued,
    })
}

/// Rotates a refresh token: a new access and refresh token for the same session. A used
/// token revokes the session (401); a banned user gets 403.
pub async fn refresh(state: &AppState, token: &str) -> Result<(UserRow, Issued), ApiError> {
    let new_token = secret::token(32);
    let mut conn = state.db.conn().await?;
    let at = now();
    let session = match sessions::rotate(&mut conn, &secret::digest(token), &secret::digest(&new_token), at).await? {
        Rotation::Rotated(session) => session,
        Rotation::Invalid => {
            // A ban revokes the sessions; tell the holder of such a token why (403), as the
            // spec documents, rather than a bare 401.
            if let Some(owner) = sessions::refresh_owner(&mut conn, &secret::digest(token)).await?
                && is_banned(&users::find(&mut conn, &owner).await?, at)
            {
                return Err(ApiError::Forbidden("This account is banned.".into()));
            }
            return Err(ApiError::Unauthorized(
                "The refresh token is invalid, expired or revoked.".into(),
            ));
        }
        Rotation::Reused => {
            return Err(ApiError::Unauthorized(
                "This refresh token was already used: the session has been revoked; log in again.".into(),
            ));
        }
    };
    let user = users::find(&mut conn, &session.user_id).await?;
    if is_banned(&user, at) {
        sessions::revoke(&mut conn, &session.id, at).await?;
        return Err(ApiError::Forbidden("This account is banned.".into()));
    }
    let issued = Issued {
        access_token: access_token(state, &user, &session.id),
        refresh_token: new_token,
        expires_in: state.config.access_token_ttl_secs,
        session_id: session.id,
    };
    Ok((user, issued))
}
