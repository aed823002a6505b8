//! Sessions and their rotating refresh tokens, written once for both backends.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::{refresh_tokens, sessions};
use super::{DbConn, DbError};
use crate::{with_conn, write_tx};

/// A row of `sessions`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    /// Opaque id, `session-…`.
    pub id: String,
    /// The user.
    pub user_id: String,
    /// `login` or `account`.
    pub kind: String,
    /// Client IP.
    pub ip_address: Option<String>,
    /// Client user agent.
    pub user_agent: Option<String>,
    /// Created.
    pub created_at: NaiveDateTime,
    /// Expires.
    pub expires_at: NaiveDateTime,
    /// Revoked.
    pub revoked_at: Option<NaiveDateTime>,
}

impl SessionRow {
    /// Whether the session is usable at `now`.
    pub fn is_active(&self, now: NaiveDateTime) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

/// Creates `session` and, when given, its first refresh token (one transaction).
pub async fn create(conn: &mut DbConn, session: &SessionRow, refresh_hash: Option<&str>) -> Result<(), DbError> {
    let token = refresh_hash.map(|hash| {
        (
            hash.to_owned(),
            session.id.clone(),
            session.created_at,
            session.expires_at,
        )
    });
    write_tx!(conn, c => {
        diesel::insert_into(sessions::table).values(session).execute(c).await?;
        if let Some((hash, sid, created, expires)) = &token {
            diesel::insert_into(refresh_tokens::table)
                .values((
                    refresh_tokens::token_hash.eq(hash),
                    refresh_tokens::session_id.eq(sid),
                    refresh_tokens::created_at.eq(created),
                    refresh_tokens::expires_at.eq(expires),
                ))
                .execute(c)
                .await?;
        }
        Ok::<_, DbError>(())
    })
}

/// The session with `id`.
pub async fn find(conn: &mut DbConn, id: &str) -> Result<SessionRow, DbError> {
    Ok(with_conn!(conn, c => sessions::table.find(id).select(SessionRow::as_select()).first(c).await)?)
}

/// Revokes session `id` (no-op when already revoked); `NotFound` when it does not exist.
pub async fn revoke(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> Result<(), DbError> {
    with_conn!(conn, c => diesel::update(sessions::table.find(id).filter(sessions::revoked_at.is_null()))
        .set(sessions::revoked_at.eq(Some(now)))
        .execute(c)
        .await)?;
    find(conn, id).await.map(|_| ())
}

/// Revokes every active session of `user_id` except `keep`.
pub async fn revoke_all(
    conn: &mut DbConn,
    user_id: &str,
    keep: Option<&str>,
    now: NaiveDateTime,
) -> Result<usize, DbError> {
    let keep = keep.unwrap_or("").to_owned();
    let n = with_conn!(conn, c => diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::revoked_at.is_null())
            .filter(sessions::id.ne(&keep)),
    )
    .set(sessions::revoked_at.eq(Some(now)))
    .execute(c)
    .await)?;
    Ok(n)
}

/// Filters for [`list`].
#[derive(Debug, Clone, Default)]
pub struct SessionFilter {
    /// Only this user's sessions.
    pub user_id: Option<String>,
    /// Only active (`true`) or inactive (`false`) sessions, at `now`.
    pub active: Option<bool>,
    /// Page size.
    pub limit: i64,
    /// Items to skip.
    pub offset: i64,
}

/// Sessions matching `filter`, newest first (then by id).
pub async fn list(conn: &mut DbConn, filter: &SessionFilter, now: NaiveDateTime) -> Result<Vec<SessionRow>, DbError> {
    let rows = with_conn!(conn, c => {
        let mut query = sessions::table.select(SessionRow::as_select()).into_boxed();
        if let Some(user) = &filter.user_id {
            query = query.filter(sessions::user_id.eq(user.clone()));
        }
        match filter.active {
            Some(true) => query = query.filter(sessions::revoked_at.is_null()).filter(sessions::expires_at.gt(now)),
            Some(false) => query = query.filter(sessions::revoked_at.is_not_null().or(sessions::expires_at.le(now))),
            None => {}
        }
        query
            .order((sessions::created_at.desc(), sessions::id.desc()))
            .limit(filter.limit)
            .offset(filter.offset)
            .load(c)
            .await
    })?;
    Ok(rows)
}

/// What presenting a refresh token did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// The token was current: it is now used, and `new_hash` is the session's new token.
    Rotated(SessionRow),
    /// Unknown, expired, or its session is revoked or expired.
    Invalid,
    /// The token had been used before: replay, so the whole session was revoked.
    Reused,
}

/// Uses the refresh token with `hash` once: in one transaction, marks it used (only if it was
/// unused, so two concurrent refreshes cannot both succeed) and stores `new_hash` for the
/// same session. A used token revokes the session (reuse detection).
pub async fn rotate(conn: &mut DbConn, hash: &str, new_hash: &str, now: NaiveDateTime) -> Result<Rotation, DbError> {
    let (hash, new_hash) = (hash.to_owned(), new_hash.to_owned());
    write_tx!(conn, c => {
        let found: Option<(Option<NaiveDateTime>, NaiveDateTime, String)> = refresh_tokens::table
            .find(&hash)
            .select((refresh_tokens::used_at, refresh_tokens::expires_at, refresh_tokens::session_id))
            .first(c)
            .await
            .optional()?;
        let Some((used_at, expires_at, session_id)) = found else { return Ok(Rotation::Invalid) };
        let session: SessionRow = sessions::table.find(&session_id).select(SessionRow::as_select()).first(c).await?;
        if used_at.is_some() {
            diesel::update(sessions::table.find(&session_id).filter(sessions::revoked_at.is_null()))
                .set(sessions::revoked_at.eq(Some(now)))
                .execute(c)
                .await?;
            return Ok(Rotation::Reused);
        }
        if expires_at <= now || !session.is_active(now) {
            return Ok(Rotation::Invalid);
        }
        let marked = diesel::update(refresh_tokens::table.find(&hash).filter(refresh_tokens::used_at.is_null()))
            .set(refresh_tokens::used_at.eq(Some(now)))
            .execute(c)
            .await?;
        if marked != 1 {
            // A concurrent refresh used it first: that is reuse too, so revoke the family.
            diesel::update(sessions::table.find(&session_id).filter(sessions::revoked_at.is_null()))
                .set(sessions::revoked_at.eq(Some(now)))
                .execute(c)
                .await?;
            return Ok(Rotation::Reused);
        }
        diesel::insert_into(refresh_tokens::table)
            .values((
                refresh_tokens::token_hash.eq(&new_hash),
                refresh_tokens::session_id.eq(&session_id),
                refresh_tokens::created_at.eq(now),
                refresh_tokens::expires_at.eq(session.expires_at),
            ))
            .execute(c)
            .await?;
        Ok::<_, DbError>(Rotation::Rotated(session))
    })
}

/// The user whose session the refresh token with `hash` belongs to, if it exists.
pub async fn refresh_owner(conn: &mut DbConn, hash: &str) -> Result<Option<String>, DbError> {
    Ok(with_conn!(conn, c => refresh_tokens::table
        .inner_join(sessions::table)
        .filter(refresh_tokens::token_hash.eq(hash))
        .select(sessions::user_id)
        .first::<String>(c)
        .await
        .optional())?)
}
