//! Client keys (Bloq): rows, creation under the per-user limit, look-ups, deletion and the
//! staff list with owners, written once for both backends.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::{client_keys, users};
use super::users::UserRow;
use super::{DbConn, DbError};
use crate::{with_conn, write_tx};

/// A row of `client_keys`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = client_keys)]
pub struct ClientKeyRow {
    /// Opaque id, `key-…`.
    pub id: String,
    /// The owner.
    pub user_id: String,
    /// Public client id.
    pub client_id: String,
    /// SHA-256 of the secret, hex.
    pub secret_hash: String,
    /// Label.
    pub name: String,
    /// Scopes, space-separated.
    pub scopes: String,
    /// Enabled.
    pub enabled: bool,
    /// Created.
    pub created_at: NaiveDateTime,
    /// Last token issued.
    pub last_used_at: Option<NaiveDateTime>,
}

/// The key with `id`.
pub async fn find(conn: &mut DbConn, id: &str) -> Result<ClientKeyRow, DbError> {
    Ok(with_conn!(conn, c => client_keys::table.find(id).select(ClientKeyRow::as_select()).first(c).await)?)
}

/// What [`create`] came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    /// The key was stored.
    Created,
    /// The owner already has `max` keys; nothing was stored.
    LimitReached,
}

/// Stores `row` unless its owner already has `max` keys (count and insert in one write
/// transaction, so two concurrent creations cannot pass the limit together).
pub async fn create(conn: &mut DbConn, row: &ClientKeyRow, max: i64) -> Result<Created, DbError> {
    let row = row.clone();
    write_tx!(conn, c => {
        let have: i64 = client_keys::table
            .filter(client_keys::user_id.eq(&row.user_id))
            .count()
            .get_result(c)
            .await?;
        if have >= max {
            return Ok::<_, DbError>(Created::LimitReached);
        }
        diesel::insert_into(client_keys::table).values(&row).execute(c).await?;
        Ok(Created::Created)
    })
}

/// The keys of `user_id`, newest first (then by id).
pub async fn list_for_user(conn: &mut DbConn, user_id: &str) -> Result<Vec<ClientKeyRow>, DbError> {
    Ok(with_conn!(conn, c => client_keys::table
        .filter(client_keys::user_id.eq(user_id))
        .order((client_keys::created_at.desc(), client_keys::id.desc()))
        .select(ClientKeyRow::as_select())
        .load(c)
        .await)?)
}

/// The key with public client id `client_id`.
pub async fn find_by_client_id(conn: &mut DbConn, client_id: &str) -> Result<ClientKeyRow, DbError> {
    Ok(with_conn!(conn, c => client_keys::table
        .filter(client_keys::client_id.eq(client_id))
        .select(ClientKeyRow::as_select())
        .first(c)
        .await)?)
}

/// Deletes the key of `user_id` whose id or client id is `id` (its refresh tokens go with
/// it, by the foreign key's cascade); `NotFound` when the user has no such key.
pub async fn delete_owned(conn: &mut DbConn, user_id: &str, id: &str) -> Result<(), DbError> {
    let n = with_conn!(conn, c => diesel::delete(
        client_keys::table
            .filter(client_keys::user_id.eq(user_id))
            .filter(client_keys::id.eq(id).or(client_keys::client_id.eq(id))),
    )
    .execute(c)
    .await)?;
    if n == 0 { Err(DbError::NotFound) } else { Ok(()) }
}

/// Records that key `id` authenticated at `now`, at most once a minute (a conditional
/// update, so a busy key does not write on every request).
pub async fn touch(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> Result<(), DbError> {
    let stale = now - chrono::Duration::minutes(1);
    with_conn!(conn, c => diesel::update(
        client_keys::table
            .filter(client_keys::id.eq(id))
            .filter(client_keys::last_used_at.is_null().or(client_keys::last_used_at.lt(stale))),
    )
    .set(client_keys::last_used_at.eq(Some(now)))
    .execute(c)
    .await)?;
    Ok(())
}

/// Every key with its owner, optionally of one user, newest first (then by id).
pub async fn list_with_owners(
    conn: &mut DbConn,
    user_id: Option<&str>,
) -> Result<Vec<(ClientKeyRow, UserRow)>, DbError> {
    let user_id = user_id.map(str::to_owned);
    Ok(with_conn!(conn, c => {
        let mut query = client_keys::table
            .inner_join(users::table)
            .select((ClientKeyRow::as_select(), UserRow::as_select()))
            .order((client_keys::created_at.desc(), client_keys::id.desc()))
            .into_boxed();
        if let Some(user) = &user_id {
            query = query.filter(client_keys::user_id.eq(user.clone()));
        }
        query.load(c).await
    })?)
}
