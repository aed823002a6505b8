//! Client keys and their tokens (Bloq, seed 004; RFC 6749 / RFC 7009): new keys, client
//! authentication, scope narrowing, the client-credentials and refresh-token grants, and
//! revocation — shared by `POST /api/auth/token` (Bloq's JSON) and `/api/oauth/*` (RFC 6749
//! forms), which only differ in how they report a [`GrantError`].

use chrono::{Duration, NaiveDateTime, Utc};

use super::tokens::{ClaimsExtra, TokenKind};
use super::{is_banned, secret};
use crate::db::client_keys::{self, ClientKeyRow};
use crate::db::client_tokens::{self, ClientRefreshRow};
use crate::db::{DbError, users};
use crate::error::ApiError;
use crate::state::AppState;

/// Every scope a client key can hold, in canonical order.
pub const SCOPES: [&str; 6] = [
    "trading:read",
    "trading:write",
    "credit:read",
    "credit:write",
    "loans:read",
    "loans:write",
];
/// Client refresh token lifetime (1 year).
pub const REFRESH_TTL_DAYS: i64 = 365;
/// Client keys one user may hold.
pub const MAX_KEYS_PER_USER: i64 = 25;

/// Why a grant (or a revocation) was refused; each endpoint maps it to its own error shape.
#[derive(Debug, Clone)]
pub enum GrantError {
    /// Unknown client id, wrong secret, deleted or disabled key.
    InvalidClient,
    /// The refresh token is invalid, expired, revoked or of another key.
    InvalidGrant,
    /// A requested scope is unknown or outside what the key (or refresh token) holds.
    InvalidScope(String),
    /// The key's owner is banned.
    Banned,
    /// The token belongs to another key than the authenticated one (revocation).
    OtherClient,
    /// A failure unrelated to the request (database).
    Internal(ApiError),
}

impl From<ApiError> for GrantError {
    fn from(error: ApiError) -> Self {
        Self::Internal(error)
    }
}

impl From<DbError> for GrantError {
    fn from(error: DbError) -> Self {
        Self::Internal(error.into())
    }
}

/// Tokens a grant issued.
#[derive(Debug, Clone)]
pub struct Grant {
    /// Client access token (JWT, 1 hour).
    pub access_token: String,
    /// Client refresh token (opaque, 1 year), when the grant issues or echoes one.
    pub refresh_token: Option<String>,
    /// The access token's scopes, space-separated.
    pub scope: String,
    /// Access token lifetime in seconds.
    pub expires_in: i64,
}

fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

/// `bytes` random bytes as lowercase hex.
fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::fill(&mut buf[..]);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// Equality of two digests in time independent of where they differ.
fn same_digest(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A new key for `user_id` and its secret (40 and 80 lowercase hex characters from the OS
/// random source); the row stores only the secret's SHA-256. `name` is trimmed (default
/// `Client key <first 8 of clientId>`); `scopes` default to all six, kept in canonical order.
pub fn new_key(
    user_id: &str,
    name: Option<&str>,
    scopes: Option<&[String]>,
) -> Result<(ClientKeyRow, String), ApiError> {
    let client_id = random_hex(20);
    let client_secret = random_hex(40);
    let name = match name.map(str::trim) {
        Some("") => return Err(ApiError::field("name", "must not be blank")),
        Some(name) if name.chars().count() > 100 => {
            return Err(ApiError::field("name", "must be at most 100 characters"));
        }
        Some(name) => name.to_owned(),
        None => format!("Client key {}", &client_id[..8]),
    };
    let scopes = match scopes {
        None => SCOPES.join(" "),
        Some([]) => return Err(ApiError::field("scopes", "must name at least one scope")),
        Some(list) => {
            for (i, scope) in list.iter().enumerate() {
                if !SCOPES.contains(&scope.as_str()) {
                    return Err(ApiError::field(format!("scopes[{i}]"), "is not a known scope"));
                }
                if list[..i].contains(scope) {
                    return Err(ApiError::field(format!("scopes[{i}]"), "is repeated"));
                }
            }
            canonical(list.iter().map(String::as_str))
        }
    };
    let row = ClientKeyRow {
        id: secret::id("key"),
        user_id: user_id.to_owned(),
        client_id,
        secret_hash: secret::digest(&client_secret),
        name,
        scopes,
        enabled: true,
        created_at: now(),
        last_used_at: None,
    };
    Ok((row, client_secret))
}

/// `scopes` in canonical order, without repeats, space-separated.
fn canonical<'a>(scopes: impl Iterator<Item = &'a str> + Clone) -> String {
    SCOPES
        .iter()
        .filter(|s| scopes.clone().any(|x| x == **s))
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The scopes of a request: `requested` (space-separated; absent or empty: all of
/// `allowed`) checked to be a subset of `allowed`.
pub fn narrow_scope(requested: Option<&str>, allowed: &str) -> Result<String, GrantError> {
    let allowed: Vec<&str> = allowed.split_whitespace().collect();
    let Some(requested) = requested.filter(|r| !r.trim().is_empty()) else {
        return Ok(canonical(allowed.iter().copied()));
    };
    for scope in requested.split(' ') {
        if !allowed.contains(&scope) {
            return Err(GrantError::InvalidScope(if SCOPES.contains(&scope) {
                format!("The scope `{scope}` is not granted to this client.")
            } else {
                "The scope must be space-separated names among trading:read, trading:write, credit:read, credit:write, loans:read, loans:write.".into()
            }));
        }
    }
    Ok(canonical(requested.split(' ')))
}

/// 403-worthy when the key's owner is banned now.
async fn check_owner(state: &AppState, key: &ClientKeyRow) -> Result<(), GrantError> {
    let mut conn = state.db.conn().await?;
    let owner = match users::find(&mut conn, &key.user_id).await {
        Ok(user) => user,
        Err(DbError::NotFound) => return Err(GrantError::InvalidClient),
        Err(other) => return Err(other.into()),
    };
    if is_banned(&owner, now()) {
        return Err(GrantError::Banned);
    }
    Ok(())
}

/// Authenticates a client by id and secret: the key must exist, be enabled and the secret
/// match its hash; then its owner must not be banned.
pub async fn authenticate_client(
    state: &AppState,
    client_id: &str,
    client_secret: &str,
) -> Result<ClientKeyRow, GrantError> {
    let presented = secret::digest(client_secret);
    let mut conn = state.db.conn().await?;
    let key = match client_keys::find_by_client_id(&mut conn, client_id).await {
        Ok(key) => key,
        Err(DbError::NotFound) => return Err(GrantError::InvalidClient),
        Err(other) => return Err(other.into()),
    };
    drop(conn);
    if !same_digest(&presented, &key.secret_hash) || !key.enabled {
        return Err(GrantError::InvalidClient);
    }
    check_owner(state, &key).await?;
    Ok(key)
}

/// Signs a client access token of `key` with `scope`, tied to the refresh token with hash
/// `refresh_hash` when it comes from (or with) one.
fn access_token(state: &AppState, key: &ClientKeyRow, scope: &str, refresh_hash: Option<&str>) -> String {
    let extra = ClaimsExtra {
        sid: refresh_hash.map(str::to_owned),
        cid: Some(key.id.clone()),
        scope: Some(scope.to_owned()),
        ..Default::default()
    };
    state
        .keys
        .issue(
            TokenKind::Client,
            &key.user_id,
            state.config.client_token_ttl_secs,
            extra,
        )
        .0
}

/// The client-credentials grant for an authenticated `key`: an access token with `scope`
/// (already narrowed) and, when `with_refresh`, a new refresh token with the same scopes.
pub async fn client_credentials(
    state: &AppState,
    key: &ClientKeyRow,
    scope: &str,
    with_refresh: bool,
) -> Result<Grant, GrantError> {
    let at = now();
    let mut conn = state.db.conn().await?;
    let refresh = if with_refresh {
        let token = secret::token(32);
        let row = ClientRefreshRow {
            token_hash: secret::digest(&token),
            client_key_id: key.id.clone(),
            scopes: scope.to_owned(),
            created_at: at,
            expires_at: at + Duration::days(REFRESH_TTL_DAYS),
            used_at: None,
        };
        client_tokens::insert(&mut conn, &row).await?;
        Some((token, row.token_hash))
    } else {
        None
    };
    client_keys::touch(&mut conn, &key.id, at).await?;
    Ok(Grant {
        access_token: access_token(state, key, scope, refresh.as_ref().map(|(_, h)| h.as_str())),
        refresh_token: refresh.map(|(t, _)| t),
        scope: scope.to_owned(),
        expires_in: state.config.client_token_ttl_secs,
    })
}

/// The refresh-token grant: a new access token from a client refresh token (which is
/// returned unchanged: client refresh tokens do not rotate). `client`, when the caller
/// authenticated as a client, must be the key the token was issued to.
pub async fn refresh(
    state: &AppState,
    token: &str,
    requested_scope: Option<&str>,
    client: Option<&ClientKeyRow>,
) -> Result<Grant, GrantError> {
    if token.contains(':') {
        return Err(GrantError::InvalidGrant);
    }
    let at = now();
    let hash = secret::digest(token);
    let mut conn = state.db.conn().await?;
    let row = match client_tokens::find(&mut conn, &hash).await {
        Ok(row) if row.is_usable(at) => row,
        Ok(_) | Err(DbError::NotFound) => return Err(GrantError::InvalidGrant),
        Err(other) => return Err(other.into()),
    };
    if client.is_some_and(|c| c.id != row.client_key_id) {
        return Err(GrantError::InvalidGrant);
    }
    let key = match client_keys::find(&mut conn, &row.client_key_id).await {
        Ok(key) if key.enabled => key,
        Ok(_) | Err(DbError::NotFound) => return Err(GrantError::InvalidGrant),
        Err(other) => return Err(other.into()),
    };
    drop(conn);
    check_owner(state, &key).await?;
    let scope = narrow_scope(requested_scope, &row.scopes)?;
    let mut conn = state.db.conn().await?;
    client_keys::touch(&mut conn, &key.id, at).await?;
    Ok(Grant {
        access_token: access_token(state, &key, &scope, Some(&hash)),
        refresh_token: Some(token.to_owned()),
        scope,
        expires_in: state.config.client_token_ttl_secs,
    })
}

/// Which kind of token a revocation request says it carries (a look-up hint only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenHint {
    /// A client access token.
    AccessToken,
    /// A client refresh token.
    RefreshToken,
}

/// RFC 7009 revocation of a client token: a refresh token (and so every access token issued
/// with or from it) or one access token. Unknown, expired, already revoked and user tokens
/// are accepted silently. With `client`, a token of another key → [`GrantError::OtherClient`].
pub async fn revoke(
    state: &AppState,
    token: &str,
    hint: Option<TokenHint>,
    client: Option<&ClientKeyRow>,
) -> Result<(), GrantError> {
    let at = now();
    let order = if hint == Some(TokenHint::AccessToken) {
        [TokenHint::AccessToken, TokenHint::RefreshToken]
    } else {
        [TokenHint::RefreshToken, TokenHint::AccessToken]
    };
    let mut conn = state.db.conn().await?;
    for kind in order {
        match kind {
            TokenHint::RefreshToken => {
                if token.contains(':') {
                    continue;
                }
                let hash = secret::digest(token);
                match client_tokens::find(&mut conn, &hash).await {
                    Ok(row) if !row.scopes.is_empty() => {
                        if client.is_some_and(|c| c.id != row.client_key_id) {
                            return Err(GrantError::OtherClient);
                        }
                        client_tokens::revoke(&mut conn, &hash, at).await?;
                        return Ok(());
                    }
                    Ok(_) | Err(DbError::NotFound) => {}
                    Err(other) => return Err(other.into()),
                }
            }
            TokenHint::AccessToken => {
                let Ok(claims) = state.keys.verify(token, &[TokenKind::Client]) else {
                    continue;
                };
                let Some(cid) = claims.cid.as_deref() else { continue };
                if client.is_some_and(|c| c.id != cid) {
                    return Err(GrantError::OtherClient);
                }
                match client_keys::find(&mut conn, cid).await {
                    Ok(_) => {}
                    // A deleted key's tokens are dead already.
                    Err(DbError::NotFound) => return Ok(()),
                    Err(other) => return Err(other.into()),
                }
                let expires = chrono::DateTime::from_timestamp(claims.exp, 0)
                    .map(|t| t.naive_utc())
                    .unwrap_or(at);
                client_tokens::revoke_access(&mut conn, &claims.jti, cid, expires, at).await?;
                return Ok(());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_narrow_to_subsets_in_canonical_order() {
        let all = SCOPES.join(" ");
        assert_eq!(narrow_scope(None, &all).unwrap(), all);
        assert_eq!(
            narrow_scope(Some(""), "credit:read trading:read").unwrap(),
            "trading:read credit:read"
        );
        assert_eq!(
            narrow_scope(Some("credit:read trading:read"), &all).unwrap(),
            "trading:read credit:read"
        );
        assert!(narrow_scope(Some("loans:write"), "trading:read").is_err());
        assert!(narrow_scope(Some("admin"), &all).is_err());
        assert!(narrow_scope(Some("trading:read  credit:read"), &all).is_err());
    }

    #[test]
    fn new_keys_have_hex_credentials_and_defaults() {
        let (row, secret) = new_key("user-1", None, None).unwrap();
        assert_eq!(row.client_id.len(), 40);
        assert_eq!(secret.len(), 80);
        assert!(secret.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_eq!(row.secret_hash, secret::digest(&secret));
        assert_eq!(row.name, format!("Client key {}", &row.client_id[..8]));
        assert_eq!(row.scopes, SCOPES.join(" "));
        assert!(new_key("u", Some("  "), None).is_err());
        assert!(new_key("u", None, Some(&[])).is_err());
        let dup = ["credit:read".to_owned(), "credit:read".to_owned()];
        assert!(new_key("u", None, Some(&dup)).is_err());
        assert!(same_digest("ab", "ab") && !same_digest("ab", "ac") && !same_digest("ab", "abc"));
    }
}
