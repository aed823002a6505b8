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
    issue_and_mail(
        state,
        user,
        "verify_email",
        VERIFY_TTL_HOURS,
        "Verify your Meridian email address",
        |token| {
            format!(
                "Welcome to Meridian. Verify your email within {VERIFY_TTL_HOURS} hours: \
             POST /api/auth/verify-email with {{\"token\": \"{token}\"}} \
             (or PUT /api/users/{}/token/{token}).",
                user.id
            )
        },
    )
    .await
}

/// Issues a password-reset token for `user` and mails it.
pub async fn send_reset(state: &AppState, user: &UserRow) -> Result<(), ApiError> {
    issue_and_mail(
        state,
        user,
        "reset_password",
        RESET_TTL_HOURS,
        "Reset your Meridian password",
        |token| {
            format!(
                "To choose a new password within {RESET_TTL_HOURS} hour(s): POST /api/auth/reset-password with \
             {{\"token\": \"{token}\", \"password\": \"...\"}}. If you did not ask for this, ignore it."
            )
        },
    )
    .await
}

/// Stores a new single-use token of `purpose` for `user` (valid `ttl_hours`, superseding
/// earlier ones) and mails it with the body `body(token)`.
async fn issue_and_mail(
    state: &AppState,
    user: &UserRow,
    purpose: &str,
    ttl_hours: i64,
    subject: &str,
    body: impl FnOnce(&str) -> String,
) -> Result<(), ApiError> {
    let token = secret::token(32);
    let now = Utc::now().naive_utc();
    let mut conn = state.db.conn().await?;
    one_time_tokens::insert(
        &mut conn,
        &secret::digest(&token),
        &user.id,
        purpose,
        now,
        now + Duration::hours(ttl_hours),
    )
    .await?;
    drop(conn);
    let message = Message {
        to: user.email.clone(),
        kind: purpose.into(),
        subject: subject.into(),
        body: body(&token),
        token,
    };
    state.mailer.send(message).await;
    Ok(())
}
