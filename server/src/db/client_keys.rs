//! Client keys (Bloq): rows, look-ups and deletion, written once for both backends.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::client_keys;
use super::{DbConn, DbError};
use crate::with_conn;

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
