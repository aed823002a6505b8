//! Email verification and password reset: single-use expiring tokens, stored hashed and
//! delivered through the mailer.

use chrono::{Duration, Utc};

use super::secret;
use crate::db::one_time_tokens;
use crate::db::users::UserRow;
use crate::error::ApiError;
use crate::mailer::Message;
use crate::state::AppState;

/// Verification tokens live 24 hours.
pub const VERIFY_TTL_HOURS: i64 = 24;
/// Reset tokens live 1 hour.
pub const RESET_TTL_HOURS: i64 = 1;

/// Issues a verification token for `user` and mails the link.
pub async fn send_verification(state: &AppState, user: &UserRow) -> Result<(), ApiError> {
    let token = secret::token(32);
    let now = Utc::now().naive_utc();
    let mut conn = state.db.conn().await?;
    one_time_tokens::insert(
        &mut conn,
        &secret::digest(&token),
        &user.id,
        "verify_email",
        now,
        now + Duration::hours(VERIFY_TTL_HOURS),
    )
    .await?;
    state
        .mailer
        .send(Message {
            to: user.email.clone(),
            kind: "verify_email".into(),
            subject: "Verify your Meridian email address".into(),
            body: format!(
                "Welcome to Meridian. Verify your email within {VERIFY_TTL_HOURS} hours: \
                 POST /api/auth/verify-email with {{\"token\": \"{token}\"}} \
                 (or PUT /api/users/{}/token/{token}).",
                user.id
            ),
            token,
        })
        .await;
    Ok(())
}

/// Issues a password-reset token for `user` and mails it.
pub async fn send_reset(state: &AppState, user: &UserRow) -> Result<(), ApiError> {
    let token = secret::token(32);
    let now = Utc::now().naive_utc();
    let mut conn = state.db.conn().await?;
    one_time_tokens::insert(
        &mut conn,
        &secret::digest(&token),
        &user.id,
        "reset_password",
        now,
        now + Duration::hours(RESET_TTL_HOURS),
    )
    .await?;
    state
        .mailer
        .send(Message {
            to: user.email.clone(),
            kind: "reset_password".into(),
            subject: "Reset your Meridian password".into(),
            body: format!(
                "To choose a new password within {RESET_TTL_HOURS} hour(s): POST /api/auth/reset-password with \
                 {{\"token\": \"{token}\", \"password\": \"...\"}}. If you did not ask for this, ignore it."
            ),
            token,
        })
        .await;
    Ok(())
}
