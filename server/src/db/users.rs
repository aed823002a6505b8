//! User rows: insert and look-up, written once for both backends.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::users;
use super::{DbConn, DbError};
use crate::with_conn;

/// A row of `users`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    /// Opaque id, `user-…`.
    pub id: String,
    /// Lower-cased email address.
    pub email: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// `user`, `staff` or `admin`.
    pub role: String,
    /// Account status.
    pub status: String,
    /// Display name.
    pub display_name: Option<String>,
    /// Creation time (UTC).
    pub created_at: NaiveDateTime,
    /// Last update time (UTC).
    pub updated_at: NaiveDateTime,
}

/// Inserts `user`; a taken email is [`DbError::Conflict`].
pub async fn insert(conn: &mut DbConn, user: &UserRow) -> Result<(), DbError> {
    with_conn!(conn, c => diesel::insert_into(users::table).values(user).execute(c).await)?;
    Ok(())
}

/// The user with `id`; [`DbError::NotFound`] when there is none.
pub async fn find(conn: &mut DbConn, id: &str) -> Result<UserRow, DbError> {
    let row = with_conn!(conn, c => users::table.find(id).select(UserRow::as_select()).first(c).await)?;
    Ok(row)
}

/// Number of users.
pub async fn count(conn: &mut DbConn) -> Result<i64, DbError> {
    let n = with_conn!(conn, c => users::table.count().get_result(c).await)?;
    Ok(n)
}
