//! Single-use email tokens (verification, password reset), stored hashed. A new token of a
//! purpose supersedes the user's earlier unused ones; using a token and applying its effect
//! (verifying the address, setting the password) happen in one transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::{one_time_tokens, sessions, users};
use super::{DbConn, DbError};
use crate::{with_conn, write_tx};

/// Purpose of email-verification tokens.
pub const VERIFY_EMAIL: &str = "verify_email";
/// Purpose of password-reset tokens.
pub const RESET_PASSWORD: &str = "reset_password";

/// Marks the token with `$hash` and `$purpose` used, if it is unused and unexpired, inside a
/// transaction on the concrete connection `$c`; evaluates to its user id. The update is
/// conditional, so a token cannot be used twice even concurrently.
macro_rules! consume_in {
    ($c:expr, $hash:expr, $purpose:expr, $now:expr) => {{
        let user: Option<String> = one_time_tokens::table
            .find($hash)
            .filter(one_time_tokens::purpose.eq($purpose))
            .filter(one_time_tokens::used_at.is_null())
            .filter(one_time_tokens::expires_at.gt($now))
            .select(one_time_tokens::user_id)
            .first($c)
            .await
            .optional()?;
        match user {
            Some(user) => {
                let n = diesel::update(
                    one_time_tokens::table
                        .find($hash)
                        .filter(one_time_tokens::used_at.is_null()),
                )
                .set(one_time_tokens::used_at.eq(Some($now)))
                .execute($c)
                .await?;
                if n == 1 { Some(user) } else { None }
            }
            None => None,
        }
    }};
}

/// Stores a token of `purpose` for `user_id`, superseding (marking used) the user's earlier
/// unused tokens of that purpose, in one transaction.
pub async fn insert(
    conn: &mut DbConn,
    hash: &str,
    user_id: &str,
    purpose: &str,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> Result<(), DbError> {
    let (hash, user_id, purpose) = (hash.to_owned(), user_id.to_owned(), purpose.to_owned());
    write_tx!(conn, c => {
        diesel::update(
            one_time_tokens::table
                .filter(one_time_tokens::user_id.eq(&user_id))
                .filter(one_time_tokens::purpose.eq(&purpose))
                .filter(one_time_tokens::used_at.is_null()),
        )
        .set(one_time_tokens::used_at.eq(Some(now)))
        .execute(c)
        .await?;
        diesel::insert_into(one_time_tokens::table)
            .values((
                one_time_tokens::token_hash.eq(&hash),
                one_time_tokens::user_id.eq(&user_id),
                one_time_tokens::purpose.eq(&purpose),
                one_time_tokens::created_at.eq(now),
                one_time_tokens::expires_at.eq(expires_at),
            ))
            .execute(c)
            .await?;
        Ok::<_, DbError>(())
    })
}

/// Uses the unexpired, unused token with `hash` and `purpose` once: its user id. Marking it
/// used is conditional, so a token cannot be used twice even concurrently.
pub async fn consume(
    conn: &mut DbConn,
    hash: &str,
    purpose: &str,
    now: NaiveDateTime,
) -> Result<Option<String>, DbError> {
    let (hash, purpose) = (hash.to_owned(), purpose.to_owned());
    write_tx!(conn, c => {
        let user = consume_in!(c, &hash, &purpose, now);
        Ok::<_, DbError>(user)
    })
}

/// The newest unused token of `purpose` for `user_id`: its creation and expiry times.
pub async fn latest(
    conn: &mut DbConn,
    user_id: &str,
    purpose: &str,
) -> Result<Option<(NaiveDateTime, NaiveDateTime)>, DbError> {
    Ok(with_conn!(conn, c => one_time_tokens::table
        .filter(one_time_tokens::user_id.eq(user_id))
        .filter(one_time_tokens::purpose.eq(purpose))
        .filter(one_time_tokens::used_at.is_null())
        .order(one_time_tokens::created_at.desc())
        .select((one_time_tokens::created_at, one_time_tokens::expires_at))
        .first(c)
        .await
        .optional())?)
}

/// The newest token of `purpose` issued to `user_id`, used or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IssuedToken {
    /// When it was issued.
    pub created_at: NaiveDateTime,
    /// When it expires (or expired).
    pub expires_at: NaiveDateTime,
    /// When it was used or superseded.
    pub used_at: Option<NaiveDateTime>,
}

impl IssuedToken {
    /// Whether it can still be used at `now`.
    pub fn is_valid(&self, now: NaiveDateTime) -> bool {
        self.used_at.is_none() && self.expires_at > now
    }
}

/// The newest token of `purpose` ever issued to `user_id` (used, superseded or not).
pub async fn latest_issued(conn: &mut DbConn, user_id: &str, purpose: &str) -> Result<Option<IssuedToken>, DbError> {
    let row: Option<(NaiveDateTime, NaiveDateTime, Option<NaiveDateTime>)> = with_conn!(conn, c => one_time_tokens::table
        .filter(one_time_tokens::user_id.eq(user_id))
        .filter(one_time_tokens::purpose.eq(purpose))
        .order((one_time_tokens::created_at.desc(), one_time_tokens::used_at.asc()))
        .select((one_time_tokens::created_at, one_time_tokens::expires_at, one_time_tokens::used_at))
        .first(c)
        .await
        .optional())?;
    Ok(row.map(|(created_at, expires_at, used_at)| IssuedToken {
        created_at,
        expires_at,
        used_at,
    }))
}

/// Uses a verification token and marks its user's email verified (status `active`,
/// `verified_at` set unless it already was), in one transaction: the user id, or `None` for
/// an unknown, expired, used or superseded token.
pub async fn verify_email(conn: &mut DbConn, hash: &str, now: NaiveDateTime) -> Result<Option<String>, DbError> {
    let hash = hash.to_owned();
    write_tx!(conn, c => {
        let Some(user) = consume_in!(c, &hash, VERIFY_EMAIL, now) else {
            return Ok(None);
        };
        diesel::update(users::table.find(&user).filter(users::verified_at.is_null()))
            .set(users::verified_at.eq(Some(now)))
            .execute(c)
            .await?;
        diesel::update(users::table.find(&user))
            .set((users::status.eq("active"), users::updated_at.eq(now)))
            .execute(c)
            .await?;
        Ok::<_, DbError>(Some(user))
    })
}

/// Uses a password-reset token and, in the same transaction, sets the user's password hash,
/// clears any login lockout and revokes every session of the user (their access, refresh
/// and account tokens stop working): the user id, or `None` for an unknown, expired, used
/// or superseded token.
pub async fn reset_password(
    conn: &mut DbConn,
    hash: &str,
    password_hash: &str,
    now: NaiveDateTime,
) -> Result<Option<String>, DbError> {
    let (hash, password_hash) = (hash.to_owned(), password_hash.to_owned());
    write_tx!(conn, c => {
        let Some(user) = consume_in!(c, &hash, RESET_PASSWORD, now) else {
            return Ok(None);
        };
        diesel::update(users::table.find(&user))
            .set((
                users::password_hash.eq(&password_hash),
                users::failed_logins.eq(0),
                users::locked_until.eq(None::<NaiveDateTime>),
                users::updated_at.eq(now),
            ))
            .execute(c)
            .await?;
        diesel::update(
            sessions::table
                .filter(sessions::user_id.eq(&user))
                .filter(sessions::revoked_at.is_null()),
        )
        .set(sessions::revoked_at.eq(Some(now)))
        .execute(c)
        .await?;
        Ok::<_, DbError>(Some(user))
    })
}
