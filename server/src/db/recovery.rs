//! 2FA recovery codes, stored hashed; each works once.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::recovery_codes;
use super::{DbConn, DbError};
use crate::auth::secret;
use crate::{with_conn, write_tx};

/// The stored form of a code: dashes removed, upper-cased, hashed.
pub fn digest_code(code: &str) -> String {
    secret::digest(&code.replace('-', "").to_uppercase())
}

/// Replaces `user_id`'s codes by `hashes` (one transaction).
pub async fn replace(conn: &mut DbConn, user_id: &str, hashes: &[String]) -> Result<(), DbError> {
    let user_id = user_id.to_owned();
    let hashes = hashes.to_vec();
    write_tx!(conn, c => {
        diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(&user_id))).execute(c).await?;
        for hash in &hashes {
            diesel::insert_into(recovery_codes::table)
                .values((recovery_codes::code_hash.eq(hash), recovery_codes::user_id.eq(&user_id)))
                .execute(c)
                .await?;
        }
        Ok::<_, DbError>(())
    })
}

/// Removes every code of `user_id`.
pub async fn clear(conn: &mut DbConn, user_id: &str) -> Result<(), DbError> {
    with_conn!(conn, c => diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id))).execute(c).await)?;
    Ok(())
}

/// Uses the code with `hash` of `user_id` if it is unused; whether it was.
pub async fn consume(conn: &mut DbConn, user_id: &str, hash: &str, now: NaiveDateTime) -> Result<bool, DbError> {
    let n = with_conn!(conn, c => diesel::update(
        recovery_codes::table
            .filter(recovery_codes::code_hash.eq(hash))
            .filter(recovery_codes::user_id.eq(user_id))
            .filter(recovery_codes::used_at.is_null()),
    )
    .set(recovery_codes::used_at.eq(Some(now)))
    .execute(c)
    .await)?;
    Ok(n == 1)
}
