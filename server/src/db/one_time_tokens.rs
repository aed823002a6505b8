//! Single-use email tokens (verification, password reset), stored hashed.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::one_time_tokens;
use super::{DbConn, DbError};
use crate::{with_conn, write_tx};

/// Stores a token of `purpose` for `user_id`.
pub async fn insert(
    conn: &mut DbConn,
    hash: &str,
    user_id: &str,
    purpose: &str,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> Result<(), DbError> {
    with_conn!(conn, c => diesel::insert_into(one_time_tokens::table)
        .values((
            one_time_tokens::token_hash.eq(hash),
            one_time_tokens::user_id.eq(user_id),
            one_time_tokens::purpose.eq(purpose),
            one_time_tokens::created_at.eq(now),
            one_time_tokens::expires_at.eq(expires_at),
        ))
        .execute(c)
        .await)?;
    Ok(())
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
        let user: Option<String> = one_time_tokens::table
            .find(&hash)
            .filter(one_time_tokens::purpose.eq(&purpose))
            .filter(one_time_tokens::used_at.is_null())
            .filter(one_time_tokens::expires_at.gt(now))
            .select(one_time_tokens::user_id)
            .first(c)
            .await
            .optional()?;
        if user.is_some() {
            let n = diesel::update(one_time_tokens::table.find(&hash).filter(one_time_tokens::used_at.is_null()))
                .set(one_time_tokens::used_at.eq(Some(now)))
                .execute(c)
                .await?;
            if n != 1 {
                return Ok(None);
            }
        }
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
