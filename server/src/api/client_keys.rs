//! Client-keys group: create, list and delete client keys; the admin list.

use chrono::Utc;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::ApiTags;
use super::statuses::{Secured, SecuredConflict, SecuredLookup};
use super::tokens::ClientKeyScope;
use super::types::{Nullable, OptionalJson, Timestamp};
use crate::auth::clients::{self, MAX_KEYS_PER_USER};
use crate::auth::extract::UserAuth;
use crate::auth::{is_banned, require_role};
use crate::db::client_keys::{self, ClientKeyRow, Created};
use crate::db::users::UserRow;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// `POST /api/users/me/client-keys` body (optional; every field has a default).
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ClientKeyCreateRequest {
    /// A label (trimmed, not blank).
    pub name: Option<String>,
    /// The scopes the key's tokens get (default: all six).
    pub scopes: Option<Vec<ClientKeyScope>>,
}

/// A new key with its secret (shown once).
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct ClientKeyCreated {
    /// The key's id (`key-…`).
    pub id: Option<String>,
    /// The public client id (40 lowercase hex characters).
    pub client_id: String,
    /// The client secret (80 lowercase hex characters).
    pub client_secret: String,
    /// The label.
    pub name: Option<String>,
    /// The scopes.
    pub scopes: Option<Vec<ClientKeyScope>>,
    /// Creation time.
    pub created_at: Timestamp,
}

/// A key without its secret.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct ClientKey {
    /// The key's id (`key-…`).
    pub id: String,
    /// The public client id.
    pub client_id: Option<String>,
    /// The label.
    pub name: Option<String>,
    /// The scopes.
    pub scopes: Option<Vec<ClientKeyScope>>,
    /// Whether its credentials and tokens work (`false` while the owner is banned).
    pub enabled: Option<bool>,
    /// When it last authenticated.
    pub last_used_at: Option<Nullable<Timestamp>>,
    /// Creation time.
    pub created_at: Timestamp,
}

/// Portal's API-key list.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct AdminClientKeyList {
    /// The keys, newest first.
    pub api_keys: Vec<AdminClientKey>,
}

/// A key as staff see it.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct AdminClientKey {
    /// The key's id.
    pub id: String,
    /// The owner's id.
    pub user_id: String,
    /// The label.
    pub name: String,
    /// Whether its credentials and tokens work.
    pub enabled: bool,
    /// When it last authenticated.
    pub last_used_at: Nullable<Timestamp>,
    /// Creation time.
    pub created_at: Timestamp,
    /// The owner.
    pub user: AdminClientKeyOwner,
    /// The public client id.
    pub client_id: Option<String>,
    /// The scopes.
    pub scopes: Option<Vec<ClientKeyScope>>,
}

/// A key's owner, in brief.
#[derive(Debug, Object)]
pub struct AdminClientKeyOwner {
    /// The owner's id.
    pub id: String,
    /// The owner's email.
    pub email: String,
    /// The owner's display name.
    pub name: Nullable<String>,
}

/// 204 No Content.
#[derive(ApiResponse)]
pub enum NoContent {
    /// Done; no body.
    #[oai(status = 204)]
    NoContent,
}

/// Whether `key` works now: enabled and its owner not banned.
fn is_enabled(key: &ClientKeyRow, owner: &UserRow) -> bool {
    key.enabled && !is_banned(owner, Utc::now().naive_utc())
}

fn timestamp(t: chrono::NaiveDateTime) -> Timestamp {
    Timestamp(t.and_utc())
}

fn list_item(key: ClientKeyRow, owner: &UserRow) -> ClientKey {
    ClientKey {
        enabled: Some(is_enabled(&key, owner)),
        scopes: Some(ClientKeyScope::list(&key.scopes)),
        last_used_at: Some(key.last_used_at.map(timestamp).into()),
        created_at: timestamp(key.created_at),
        client_id: Some(key.client_id),
        name: Some(key.name),
        id: key.id,
    }
}

/// The client-keys operations.
pub struct ClientKeysApi {
    state: AppState,
}

impl ClientKeysApi {
    /// Over `state`.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[OpenApi(tag = "ApiTags::ClientKeys")]
impl ClientKeysApi {
    /// Create a client key
    #[oai(
        path = "/api/users/me/client-keys",
        method = "post",
        operation_id = "create_client_key"
    )]
    async fn create_client_key(
        &self,
        auth: UserAuth,
        body: OptionalJson<ClientKeyCreateRequest>,
    ) -> ApiResult<Json<ClientKeyCreated>, SecuredConflict> {
        let body = body.0.unwrap_or(ClientKeyCreateRequest {
            name: None,
            scopes: None,
        });
        let scopes: Option<Vec<String>> = body
            .scopes
            .map(|list| list.into_iter().map(|s| s.as_str().to_owned()).collect());
        let (row, secret) = clients::new_key(&auth.0.user.id, body.name.as_deref(), scopes.as_deref())?;
        let mut conn = self.state.db.conn().await?;
        if client_keys::create(&mut conn, &row, MAX_KEYS_PER_USER).await? == Created::LimitReached {
            return Err(ApiError::Conflict(format!(
                "You already have {MAX_KEYS_PER_USER} client keys, the maximum; delete one first."
            ))
            .into());
        }
        Ok(Json(ClientKeyCreated {
            scopes: Some(ClientKeyScope::list(&row.scopes)),
            created_at: timestamp(row.created_at),
            id: Some(row.id),
            client_id: row.client_id,
            client_secret: secret,
            name: Some(row.name),
        })
        .into())
    }

    /// List the current user's client keys
    #[oai(
        path = "/api/users/me/client-keys",
        method = "get",
        operation_id = "list_client_keys"
    )]
    async fn list_client_keys(&self, auth: UserAuth) -> ApiResult<Json<Vec<ClientKey>>, Secured> {
        let mut conn = self.state.db.conn().await?;
        let keys = client_keys::list_for_user(&mut conn, &auth.0.user.id).await?;
        let owner = &auth.0.user;
        Ok(Json(keys.into_iter().map(|k| list_item(k, owner)).collect::<Vec<_>>()).into())
    }

    /// Delete a client key
    #[oai(
        path = "/api/users/me/client-keys/:id",
        method = "delete",
        operation_id = "delete_client_key"
    )]
    async fn delete_client_key(
        &self,
        auth: UserAuth,
        /// The key's `id` or its `clientId`.
        #[oai(validator(min_length = 1, max_length = 128))]
        id: Path<String>,
    ) -> ApiResult<NoContent, SecuredLookup> {
        let mut conn = self.state.db.conn().await?;
        match client_keys::delete_owned(&mut conn, &auth.0.user.id, &id.0).await {
            Ok(()) => Ok(NoContent::NoContent.into()),
            Err(crate::db::DbError::NotFound) => Err(ApiError::NotFound("Client key not found.".into()).into()),
            Err(other) => Err(other.into()),
        }
    }

    /// List every user's client keys (staff)
    #[oai(
        path = "/api/admin/client-keys",
        method = "get",
        operation_id = "admin_list_client_keys"
    )]
    async fn admin_list_client_keys(
        &self,
        auth: UserAuth,
        /// Only keys of this user.
        #[oai(name = "userId", validator(min_length = 1, max_length = 128))]
        user_id: Query<Option<String>>,
        /// Only enabled (`true`) or disabled (`false`) keys.
        enabled: Query<Option<bool>>,
        /// Maximum number of keys (1–100, default 100).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<i64>>,
        /// Keys to skip.
        #[oai(validator(minimum(value = "0")))]
        offset: Query<Option<i64>>,
    ) -> ApiResult<Json<AdminClientKeyList>, Secured> {
        require_role(&auth.0, "staff")?;
        let limit = limit.0.unwrap_or(100).clamp(1, 100) as usize;
        let offset = offset.0.unwrap_or(0).max(0) as usize;
        let mut conn = self.state.db.conn().await?;
        let rows = client_keys::list_with_owners(&mut conn, user_id.0.as_deref()).await?;
        let api_keys = rows
            .into_iter()
            .filter(|(key, owner)| enabled.0.is_none_or(|want| is_enabled(key, owner) == want))
            .skip(offset)
            .take(limit)
            .map(|(key, owner)| AdminClientKey {
                enabled: is_enabled(&key, &owner),
                scopes: Some(ClientKeyScope::list(&key.scopes)),
                last_used_at: key.last_used_at.map(timestamp).into(),
                created_at: timestamp(key.created_at),
                client_id: Some(key.client_id),
                name: key.name,
                user_id: key.user_id,
                id: key.id,
                user: AdminClientKeyOwner {
                    id: owner.id,
                    email: owner.email,
                    name: owner.display_name.into(),
                },
            })
            .collect();
        Ok(Json(AdminClientKeyList { api_keys }).into())
    }
}
