//! Audit events (Bloq `GET /api/users/me/events`): one per authenticated API request.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::events;
use super::{DbConn, DbError};
use crate::with_conn;

/// A row of `events`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = events)]
pub struct EventRow {
    /// Opaque id, `event-…`.
    pub id: String,
    /// The user.
    pub user_id: String,
    /// The operationId served.
    pub service: String,
    /// Request summary (JSON).
    pub input: String,
    /// Response summary (JSON).
    pub output: String,
    /// Service data (JSON).
    pub service_data: Option<String>,
    /// When.
    pub created_at: NaiveDateTime,
}

/// Stores `event`.
pub async fn insert(conn: &mut DbConn, event: &EventRow) -> Result<(), DbError> {
    with_conn!(conn, c => diesel::insert_into(events::table).values(event).execute(c).await)?;
    Ok(())
}

/// `user_id`'s events, newest first (then by id).
pub async fn list(conn: &mut DbConn, user_id: &str, limit: i64, offset: i64) -> Result<Vec<EventRow>, DbError> {
    Ok(with_conn!(conn, c => events::table
        .filter(events::user_id.eq(user_id))
        .order((events::created_at.desc(), events::id.desc()))
        .limit(limit)
        .offset(offset)
        .select(EventRow::as_select())
        .load(c)
        .await)?)
}

/// Number of `user_id`'s events.
pub async fn count(conn: &mut DbConn, user_id: &str) -> Result<i64, DbError> {
    Ok(with_conn!(conn, c => events::table.filter(events::user_id.eq(user_id)).count().get_result(c).await)?)
}
