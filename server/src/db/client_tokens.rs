//! Client refresh tokens (1 year, not rotating, as in Bloq) and the revocation of client
//! access tokens (RFC 7009), written once for both backends.
//!
//! Both live in `client_refresh_tokens`: a refresh token is a row keyed by its hash; a
//! revoked access token is a marker row keyed by the hash of `access:<jti>` (never the hash
//! of an issued refresh token: those are base64url and have no `:`), created already
//! revoked (`used_at` set) and kept until the access token would have expired. `used_at` is
//! the revocation time. Rows go with their key (foreign key cascade).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::client_refresh_tokens;
use super::{DbConn, DbError, client_keys};
use crate::auth::secret;
use crate::with_conn;

/// A row of `client_refresh_tokens`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = client_refresh_tokens)]
pub struct ClientRefreshRow {
    /// SHA-256 of the token (or of the access-token marker), hex.
    pub token_hash: String,
    /// The key it was issued to.
    pub client_key_id: String,
    /// Scopes of the grant, space-separated (empty for access-token markers).
    pub scopes: String,
    /// Issued.
    pub created_at: NaiveDateTime,
    /// Expires.
    pub expires_at: NaiveDateTime,
    /// Revoked (for markers: always set).
    pub used_at: Option<NaiveDateTime>,
}

impl ClientRefreshRow {
    /// Whether this refresh token can be used at `now`.
    pub fn is_usable(&self, now: NaiveDateTime) -> bool {
        self.used_at.is_none() && self.expires_at > now && !self.scopes.is_empty()
    }
}

/// The key of the marker row of the access token with id `jti`.
pub fn access_marker(jti: &str) -> String {
    secret::digest(&format!("access:{jti}"))
}

/// Stores a new refresh token.
pub async fn insert(conn: &mut DbConn, row: &ClientRefreshRow) -> Result<(), DbError> {
    with_conn!(conn, c => diesel::insert_into(client_refresh_tokens::table).values(row).execute(c).await)?;
    Ok(())
}

/// The row with `hash`.
pub async fn find(conn: &mut DbConn, hash: &str) -> Result<ClientRefreshRow, DbError> {
    Ok(with_conn!(conn, c => client_refresh_tokens::table
        .find(hash)
        .select(ClientRefreshRow::as_select())
        .first(c)
        .await)?)
}

/// Revokes the refresh token with `hash` (no-op when already revoked or unknown).
pub async fn revoke(conn: &mut DbConn, hash: &str, now: NaiveDateTime) -> Result<(), DbError> {
    with_conn!(conn, c => diesel::update(
        client_refresh_tokens::table
            .find(hash)
            .filter(client_refresh_tokens::used_at.is_null()),
    )
    .set(client_refresh_tokens::used_at.eq(Some(now)))
    .execute(c)
    .await)?;
    Ok(())
}

/// Revokes the access token `jti` of key `key_id`, valid until `expires_at`.
pub async fn revoke_access(
    conn: &mut DbConn,
    jti: &str,
    key_id: &str,
    expires_at: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<(), DbError> {
    let row = ClientRefreshRow {
        token_hash: access_marker(jti),
        client_key_id: key_id.to_owned(),
        scopes: String::new(),
        created_at: now,
        expires_at,
        used_at: Some(now),
    };
    match insert(conn, &row).await {
        Ok(()) | Err(DbError::Conflict(_)) => Ok(()),
        Err(other) => Err(other),
    }
}

/// Whether a client access token (id `jti`, of key `key_id`, issued from the refresh token
/// with hash `refresh_hash` if any) is still live: not revoked itself, and its refresh token
/// (when it came from one) not revoked. Records the key's use (at most once a minute).
pub async fn access_token_live(
    conn: &mut DbConn,
    key_id: &str,
    jti: &str,
    refresh_hash: Option<&str>,
    now: NaiveDateTime,
) -> Result<bool, DbError> {
    match find(conn, &access_marker(jti)).await {
        Ok(_) => return Ok(false),
        Err(DbError::NotFound) => {}
        Err(other) => return Err(other),
    }
    if let Some(hash) = refresh_hash {
        match find(conn, hash).await {
            Ok(row) if row.used_at.is_none() && row.client_key_id == key_id => {}
            Ok(_) | Err(DbError::NotFound) => return Ok(false),
            Err(other) => return Err(other),
        }
    }
    client_keys::touch(conn, key_id, now).await?;
    Ok(true)
}
