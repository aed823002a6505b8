//! Two-factor state of users (TOTP secret, enabled flag, last accepted step) and its
//! recovery codes, changed together so 2FA is never half on or half off.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::{recovery_codes, users};
use super::{DbConn, DbError};
use crate::{with_conn, write_tx};

/// Stores `secret` as `user_id`'s pending (unconfirmed) TOTP secret, replacing any earlier
/// pending one; whether it was stored (`false` when 2FA is already enabled).
pub async fn begin_setup(conn: &mut DbConn, user_id: &str, secret: &str, now: NaiveDateTime) -> Result<bool, DbError> {
    let n = with_conn!(conn, c => diesel::update(users::table.find(user_id).filter(users::totp_enabled.eq(false)))
        .set((
            users::totp_secret.eq(Some(secret)),
            users::totp_last_step.eq(None::<i64>),
            users::updated_at.eq(now),
        ))
        .execute(c)
        .await)?;
    Ok(n == 1)
}

/// Turns 2FA on for `user_id` if `secret` is still its pending secret, recording `step` as
/// the last accepted TOTP step and replacing its recovery codes by `code_hashes`, in one
/// transaction; whether it was turned on (`false`: already enabled or the secret replaced).
pub async fn enable(
    conn: &mut DbConn,
    user_id: &str,
    secret: &str,
    step: i64,
    code_hashes: &[String],
    now: NaiveDateTime,
) -> Result<bool, DbError> {
    let (user_id, secret, hashes) = (user_id.to_owned(), secret.to_owned(), code_hashes.to_vec());
    write_tx!(conn, c => {
        let n = diesel::update(
            users::table
                .find(&user_id)
                .filter(users::totp_enabled.eq(false))
                .filter(users::totp_secret.eq(&secret)),
        )
        .set((
            users::totp_enabled.eq(true),
            users::totp_last_step.eq(Some(step)),
            users::updated_at.eq(now),
        ))
        .execute(c)
        .await?;
        if n != 1 {
            return Ok(false);
        }
        diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(&user_id))).execute(c).await?;
        for hash in &hashes {
            diesel::insert_into(recovery_codes::table)
                .values((recovery_codes::code_hash.eq(hash), recovery_codes::user_id.eq(&user_id)))
                .execute(c)
                .await?;
        }
        Ok::<_, DbError>(true)
    })
}

/// Turns 2FA off for `user_id`: the secret, the last step and every recovery code are
/// deleted, in one transaction; whether it was on.
pub async fn disable(conn: &mut DbConn, user_id: &str, now: NaiveDateTime) -> Result<bool, DbError> {
    let user_id = user_id.to_owned();
    write_tx!(conn, c => {
        let n = diesel::update(users::table.find(&user_id).filter(users::totp_enabled.eq(true)))
            .set((
                users::totp_enabled.eq(false),
                users::totp_secret.eq(None::<String>),
                users::totp_last_step.eq(None::<i64>),
                users::updated_at.eq(now),
            ))
            .execute(c)
            .await?;
        diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(&user_id))).execute(c).await?;
        Ok::<_, DbError>(n == 1)
    })
}

/// Resets `user_id`'s count of consecutive failed password checks (a right password ends
/// the run, as a successful login does).
pub async fn reset_failed_logins(conn: &mut DbConn, user_id: &str) -> Result<(), DbError> {
    with_conn!(conn, c => diesel::update(users::table.find(user_id).filter(users::failed_logins.ne(0)))
        .set(users::failed_logins.eq(0))
        .execute(c)
        .await)?;
    Ok(())
}
