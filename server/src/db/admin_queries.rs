//! Queries of the admin operations: filtered user lists and platform counts.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::{client_keys, sessions, users};
use super::users::UserRow;
use super::{DbConn, DbError};
use crate::with_conn;

/// Filters of the user list.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Only this role.
    pub role: Option<String>,
    /// Only banned (`true`) or not banned (`false`) users, now.
    pub banned: Option<bool>,
    /// Substring of the email or name (case-insensitive).
    pub search: Option<String>,
    /// Page size.
    pub limit: i64,
    /// Items skipped.
    pub offset: i64,
}

/// Escapes `%`, `_` and `\` for a LIKE pattern.
fn like_pattern(search: &str) -> String {
    let escaped = search
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

macro_rules! filtered_users {
    ($filter:expr, $now:expr) => {{
        let mut query = users::table.into_boxed();
        if let Some(role) = &$filter.role {
            query = query.filter(users::role.eq(role.clone()));
        }
        match $filter.banned {
            Some(true) => {
                query = query
                    .filter(users::banned.eq(true))
                    .filter(users::ban_expires.is_null().or(users::ban_expires.gt($now)))
            }
            Some(false) => query = query.filter(users::banned.eq(false).or(users::ban_expires.le($now))),
            None => {}
        }
        if let Some(search) = &$filter.search {
            let pattern = like_pattern(search);
            query = query.filter(
                users::email
                    .like(pattern.clone())
                    .escape('\\')
                    .or(
                        diesel::dsl::sql::<diesel::sql_types::Bool>("LOWER(COALESCE(display_name, '')) LIKE ")
                            .bind::<diesel::sql_types::Text, _>(pattern)
                            .sql(" ESCAPE '\\'"),
                    ),
            );
        }
        query
    }};
}

/// Users matching `filter`, newest first, and how many match in all.
pub async fn list_users(
    conn: &mut DbConn,
    filter: &UserFilter,
    now: NaiveDateTime,
) -> Result<(Vec<UserRow>, i64), DbError> {
    let rows = with_conn!(conn, c => filtered_users!(filter, now)
        .order((users::created_at.desc(), users::id.desc()))
        .limit(filter.limit)
        .offset(filter.offset)
        .select(UserRow::as_select())
        .load(c)
        .await)?;
    let total = with_conn!(conn, c => filtered_users!(filter, now).count().get_result(c).await)?;
    Ok((rows, total))
}

/// Platform counts.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Users.
    pub users: i64,
    /// Admins.
    pub admins: i64,
    /// Staff.
    pub staff: i64,
    /// Banned now.
    pub banned: i64,
    /// Sessions.
    pub sessions: i64,
    /// Active sessions.
    pub active_sessions: i64,
    /// Client keys.
    pub keys: i64,
    /// Enabled client keys.
    pub enabled_keys: i64,
}

/// The counts of `GET /api/admin/stats`.
pub async fn stats(conn: &mut DbConn, now: NaiveDateTime) -> Result<Stats, DbError> {
    let s = with_conn!(conn, c => {
        let users_total: i64 = users::table.count().get_result(c).await?;
        let admins: i64 = users::table.filter(users::role.eq("admin")).count().get_result(c).await?;
        let staff: i64 = users::table.filter(users::role.eq("staff")).count().get_result(c).await?;
        let banned: i64 = users::table
            .filter(users::banned.eq(true))
            .filter(users::ban_expires.is_null().or(users::ban_expires.gt(now)))
            .count()
            .get_result(c)
            .await?;
        let sessions_total: i64 = sessions::table.count().get_result(c).await?;
        let active: i64 = sessions::table
            .filter(sessions::revoked_at.is_null())
            .filter(sessions::expires_at.gt(now))
            .count()
            .get_result(c)
            .await?;
        let keys: i64 = client_keys::table.count().get_result(c).await?;
        let enabled: i64 = client_keys::table.filter(client_keys::enabled.eq(true)).count().get_result(c).await?;
        Ok::<_, diesel::result::Error>(Stats {
            users: users_total,
            admins,
            staff,
            banned,
            sessions: sessions_total,
            active_sessions: active,
            keys,
            enabled_keys: enabled,
        })
    })?;
    Ok(s)
}
