//! Accounts group, administration (Portal, seed 002): users, sessions and stats. `staff` reads,
//! `admin` changes.

use chrono::Utc;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::ApiTags;
use super::accounts::{AccountSessionList, AccountStatus, OkResponse};
use super::auth::Role;
use super::statuses::{Secured, SecuredLookup, SecuredLookupConflict};
use super::types::{Nullable, Timestamp};
use crate::auth::extract::UserAuth;
use crate::auth::require_role;
use crate::db::DbError;
use crate::db::admin_queries::{self, UserFilter};
use crate::db::sessions::{self, SessionFilter};
use crate::db::users::{self, UserRow};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Portal's user.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct AdminUser {
    /// User id.
    pub id: String,
    /// Name (the display name).
    pub name: Nullable<String>,
    /// Email.
    pub email: String,
    /// Role.
    pub role: Role,
    /// Banned now.
    pub banned: bool,
    /// Email verified.
    pub email_verified: bool,
    /// Created.
    pub created_at: Timestamp,
    /// Updated.
    pub updated_at: Timestamp,
    /// Why banned.
    pub ban_reason: Option<Nullable<String>>,
    /// When the ban ends.
    pub ban_expires: Option<Nullable<Timestamp>>,
    /// 2FA on.
    pub two_factor_enabled: Option<bool>,
    /// Status.
    pub status: Option<AccountStatus>,
    /// Last login.
    pub last_login_at: Option<Nullable<Timestamp>>,
}

impl AdminUser {
    /// The wire form of `user`.
    pub fn of(user: &UserRow) -> Self {
        let banned = crate::auth::is_banned(user, Utc::now().naive_utc());
        Self {
            id: user.id.clone(),
            name: user.display_name.clone().into(),
            email: user.email.clone(),
            role: Role::of(user),
            banned,
            email_verified: user.verified_at.is_some(),
            created_at: Timestamp::from_naive(user.created_at),
            updated_at: Timestamp::from_naive(user.updated_at),
            ban_reason: Some(if banned { user.ban_reason.clone() } else { None }.into()),
            ban_expires: Some(
                if banned {
                    user.ban_expires.map(Timestamp::from_naive)
                } else {
                    None
                }
                .into(),
            ),
            two_factor_enabled: Some(user.totp_enabled),
            status: Some(AccountStatus::of(user)),
            last_login_at: Some(user.last_login_at.map(Timestamp::from_naive).into()),
        }
    }
}

/// Limit/offset pagination (Portal).
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct LimitOffsetPagination {
    /// Items matching.
    pub total: i64,
    /// Page size.
    pub limit: i64,
    /// Items skipped.
    pub offset: i64,
    /// More after this page.
    pub has_more: bool,
}

/// `{users, pagination}`.
#[derive(Debug, Object)]
pub struct AdminUserList {
    /// Users, newest first.
    pub users: Vec<AdminUser>,
    /// Pagination.
    pub pagination: LimitOffsetPagination,
}

/// `{user}`.
#[derive(Debug, Object)]
pub struct AdminUserEnvelope {
    /// The user.
    pub user: AdminUser,
}

/// `PATCH /api/admin/users/{id}` body.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase", deny_unknown_fields)]
pub struct AdminUserUpdateRequest {
    /// New name.
    pub name: Option<String>,
    /// New role.
    pub role: Option<Role>,
    /// Ban or lift a ban.
    pub banned: Option<bool>,
    /// Why (with a ban).
    pub ban_reason: Option<String>,
    /// Ban end (with a ban; in the future).
    pub ban_expires: Option<Timestamp>,
}

/// Portal's stats.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct AdminStats {
    /// Users.
    pub users: AdminStatsUsers,
    /// Sessions.
    pub sessions: AdminStatsSessions,
    /// Client keys.
    pub api_keys: AdminStatsApiKeys,
}

/// User counts.
#[derive(Debug, Object)]
pub struct AdminStatsUsers {
    /// All.
    pub total: i64,
    /// Admins.
    pub admins: i64,
    /// Staff.
    pub staff: i64,
    /// Banned now.
    pub banned: i64,
    /// Role `user`.
    pub regular: i64,
}

/// Session counts.
#[derive(Debug, Object)]
pub struct AdminStatsSessions {
    /// All.
    pub total: i64,
    /// Not revoked or expired.
    pub active: i64,
}

/// Client-key counts.
#[derive(Debug, Object)]
pub struct AdminStatsApiKeys {
    /// All.
    pub total: i64,
    /// Enabled.
    pub enabled: i64,
}

fn now() -> chrono::NaiveDateTime {
    Utc::now().naive_utc()
}

fn role_text(role: Role) -> &'static str {
    match role {
        Role::User => "user",
        Role::Staff => "staff",
        Role::Admin => "admin",
    }
}

/// The admin operations.
pub struct AdminApi {
    state: AppState,
}

impl AdminApi {
    /// Over `state`.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

fn not_found(what: &str) -> impl Fn(DbError) -> ApiError + '_ {
    move |e| match e {
        DbError::NotFound => ApiError::NotFound(format!("No such {what}.")),
        other => other.into(),
    }
}

#[OpenApi(tag = "ApiTags::Accounts")]
impl AdminApi {
    /// List users (staff)
    #[oai(path = "/api/admin/users", method = "get", operation_id = "admin_list_users")]
    async fn admin_list_users(
        &self,
        auth: UserAuth,
        role: Query<Option<Role>>,
        banned: Query<Option<bool>>,
        #[oai(validator(min_length = 1, max_length = 254))] search: Query<Option<String>>,
        #[oai(
            default = "default_users_limit",
            validator(minimum(value = "1"), maximum(value = "100"))
        )]
        limit: Query<i64>,
        #[oai(default, validator(minimum(value = "0")))] offset: Query<i64>,
    ) -> ApiResult<Json<AdminUserList>, Secured> {
        require_role(&auth.0, "staff")?;
        let filter = UserFilter {
            role: role.0.map(|r| role_text(r).to_owned()),
            banned: banned.0,
            search: search.0,
            limit: limit.0,
            offset: offset.0,
        };
        let mut conn = self.state.db.conn().await?;
        let (rows, total) = admin_queries::list_users(&mut conn, &filter, now()).await?;
        Ok(Json(AdminUserList {
            users: rows.iter().map(AdminUser::of).collect(),
            pagination: LimitOffsetPagination {
                total,
                limit: limit.0,
                offset: offset.0,
                has_more: offset.0 + (rows.len() as i64) < total,
            },
        })
        .into())
    }

    /// Get a user (staff)
    #[oai(path = "/api/admin/users/:id", method = "get", operation_id = "admin_get_user")]
    async fn admin_get_user(
        &self,
        auth: UserAuth,
        #[oai(validator(min_length = 1, max_length = 128))] id: Path<String>,
    ) -> ApiResult<Json<AdminUserEnvelope>, SecuredLookup> {
        require_role(&auth.0, "staff")?;
        let mut conn = self.state.db.conn().await?;
        let user = users::find(&mut conn, &id.0).await.map_err(not_found("user"))?;
        Ok(Json(AdminUserEnvelope {
            user: AdminUser::of(&user),
        })
        .into())
    }

    /// Change a user's name, role or ban (admin)
    #[oai(path = "/api/admin/users/:id", method = "patch", operation_id = "admin_update_user")]
    async fn admin_update_user(
        &self,
        auth: UserAuth,
        #[oai(validator(min_length = 1, max_length = 128))] id: Path<String>,
        body: Json<AdminUserUpdateRequest>,
    ) -> ApiResult<Json<AdminUserEnvelope>, SecuredLookupConflict> {
        require_role(&auth.0, "admin")?;
        let at = now();
        let mut conn = self.state.db.conn().await?;
        let mut user = users::find(&mut conn, &id.0).await.map_err(not_found("user"))?;
        let body = body.0;
        if user.id == auth.0.user.id && (body.role.is_some() || body.banned.is_some()) {
            return Err(ApiError::Conflict("Admins cannot change their own role or ban themselves.".into()).into());
        }
        let currently_banned = crate::auth::is_banned(&user, at);
        let banning = body.banned.unwrap_or(currently_banned);
        if (body.ban_reason.is_some() || body.ban_expires.is_some()) && !banning {
            return Err(ApiError::field("banReason", "banReason and banExpires need a ban").into());
        }
        if let Some(end) = &body.ban_expires
            && end.0.naive_utc() <= at
        {
            return Err(ApiError::field("banExpires", "must be in the future").into());
        }
        if let Some(name) = body.name {
            let name =
                crate::domain::display_name(&name).ok_or_else(|| ApiError::field("name", "must not be blank"))?;
            user.display_name = Some(name);
        }
        if let Some(role) = body.role {
            user.role = role_text(role).into();
        }
        let newly_banned = body.banned == Some(true) && !currently_banned;
        match body.banned {
            Some(true) => {
                user.banned = true;
                if body.ban_reason.is_some() || newly_banned {
                    user.ban_reason = body.ban_reason.clone();
                }
                if body.ban_expires.is_some() || newly_banned {
                    user.ban_expires = body.ban_expires.map(|t| t.0.naive_utc());
                }
            }
            Some(false) => {
                user.banned = false;
                user.ban_reason = None;
                user.ban_expires = None;
            }
            None => {
                if let Some(reason) = body.ban_reason {
                    user.ban_reason = Some(reason);
                }
                if let Some(end) = body.ban_expires {
                    user.ban_expires = Some(end.0.naive_utc());
                }
            }
        }
        user.updated_at = at;
        users::save_admin_fields(&mut conn, &user).await?;
        if body.banned == Some(true) {
            sessions::revoke_all(&mut conn, &user.id, None, at).await?;
        }
        Ok(Json(AdminUserEnvelope {
            user: AdminUser::of(&user),
        })
        .into())
    }

    /// List sessions (staff)
    #[oai(path = "/api/admin/sessions", method = "get", operation_id = "admin_list_sessions")]
    async fn admin_list_sessions(
        &self,
        auth: UserAuth,
        #[oai(name = "userId", validator(min_length = 1, max_length = 128))] user_id: Query<Option<String>>,
        active: Query<Option<bool>>,
        #[oai(
            default = "default_sessions_limit",
            validator(minimum(value = "1"), maximum(value = "100"))
        )]
        limit: Query<i64>,
        #[oai(default, validator(minimum(value = "0")))] offset: Query<i64>,
    ) -> ApiResult<Json<AccountSessionList>, Secured> {
        require_role(&auth.0, "staff")?;
        let filter = SessionFilter {
            user_id: user_id.0,
            active: active.0,
            limit: limit.0,
            offset: offset.0,
        };
        let mut conn = self.state.db.conn().await?;
        let rows = sessions::list(&mut conn, &filter, now()).await?;
        let current = auth.0.session_id.as_deref();
        Ok(AccountSessionList::of(rows, current).into())
    }

    /// Revoke any session (admin)
    #[oai(
        path = "/api/admin/sessions/:id",
        method = "delete",
        operation_id = "admin_revoke_session"
    )]
    async fn admin_revoke_session(
        &self,
        auth: UserAuth,
        #[oai(validator(min_length = 1, max_length = 128))] id: Path<String>,
    ) -> ApiResult<Json<OkResponse>, SecuredLookup> {
        require_role(&auth.0, "admin")?;
        let mut conn = self.state.db.conn().await?;
        sessions::revoke(&mut conn, &id.0, now())
            .await
            .map_err(not_found("session"))?;
        Ok(OkResponse::with("Session revoked").into())
    }

    /// Get platform statistics (staff)
    #[oai(path = "/api/admin/stats", method = "get", operation_id = "admin_get_stats")]
    async fn admin_get_stats(&self, auth: UserAuth) -> ApiResult<Json<AdminStats>, Secured> {
        require_role(&auth.0, "staff")?;
        let mut conn = self.state.db.conn().await?;
        let s = admin_queries::stats(&mut conn, now()).await?;
        Ok(Json(AdminStats {
            users: AdminStatsUsers {
                total: s.users,
                admins: s.admins,
                staff: s.staff,
                banned: s.banned,
                regular: s.users - s.admins - s.staff,
            },
            sessions: AdminStatsSessions {
                total: s.sessions,
                active: s.active_sessions,
            },
            api_keys: AdminStatsApiKeys {
                total: s.keys,
                enabled: s.enabled_keys,
            },
        })
        .into())
    }
}

fn default_users_limit() -> i64 {
    50
}

fn default_sessions_limit() -> i64 {
    100
}
