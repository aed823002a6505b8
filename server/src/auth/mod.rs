//! Authentication: passwords, signed tokens, opaque secrets, and the extractors that turn a
//! request's credentials into a [`Principal`] (or the documented 401/403).

pub mod clients;
pub mod email;
pub mod extract;
pub mod flows;
pub mod password;
pub mod secret;
pub mod tokens;
pub mod totp;

use chrono::Utc;

use crate::db::users::UserRow;
use crate::db::{DbError, sessions, users};
use crate::error::ApiError;
use crate::state::AppState;
use tokens::{TokenError, TokenKind};

/// Who a request acts for.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The user (for client tokens: the key's owner).
    pub user: UserRow,
    /// The kind of token presented.
    pub kind: TokenKind,
    /// The session of a user or account token.
    pub session_id: Option<String>,
    /// The client key of a client token.
    pub client_key_id: Option<String>,
    /// The scopes of a client token.
    pub scopes: Vec<String>,
}

/// 401 for a refused token, with a reason that does not help an attacker.
fn unauthorized(error: TokenError) -> ApiError {
    ApiError::InvalidToken(match error {
        TokenError::Expired => "The access token has expired; refresh it or log in again.".into(),
        TokenError::Invalid => "The access token is invalid.".into(),
    })
}

/// Verifies `token` and loads who it stands for: the session must be active (so logout,
/// password changes and bans take effect on the next request) and the user not banned.
pub async fn authenticate(state: &AppState, token: &str, kinds: &[TokenKind]) -> Result<Principal, ApiError> {
    let claims = state.keys.verify(token, kinds).map_err(unauthorized)?;
    let now = Utc::now().naive_utc();
    let mut conn = state.db.conn().await?;
    let revoked = || ApiError::InvalidToken("The session has ended; log in again.".into());
    let (session_id, client_key_id, scopes) = match claims.typ {
        TokenKind::Access | TokenKind::Account => {
            let sid = claims.sid.clone().ok_or_else(|| unauthorized(TokenError::Invalid))?;
            let session = match sessions::find(&mut conn, &sid).await {
                Ok(s) => s,
                Err(DbError::NotFound) => return Err(revoked()),
                Err(e) => return Err(e.into()),
            };
            if !session.is_active(now) || session.user_id != claims.sub {
                return Err(revoked());
            }
            (Some(sid), None, Vec::new())
        }
        TokenKind::Client => {
            let cid = claims.cid.clone().ok_or_else(|| unauthorized(TokenError::Invalid))?;
            let key = match crate::db::client_keys::find(&mut conn, &cid).await {
                Ok(k) => k,
                Err(DbError::NotFound) => return Err(ApiError::InvalidToken("The client key was deleted.".into())),
                Err(e) => return Err(e.into()),
            };
            if !key.enabled || key.user_id != claims.sub {
                return Err(ApiError::InvalidToken("The client key is disabled.".into()));
            }
            if !crate::db::client_tokens::access_token_live(&mut conn, &cid, &claims.jti, claims.sid.as_deref(), now)
                .await?
            {
                return Err(ApiError::InvalidToken("The client token was revoked.".into()));
            }
            let scopes = claims
                .scope
                .as_deref()
                .unwrap_or("")
                .split_whitespace()
                .map(str::to_owned)
                .collect();
            (None, Some(cid), scopes)
        }
    };
    let user = match users::find(&mut conn, &claims.sub).await {
        Ok(u) => u,
        Err(DbError::NotFound) => return Err(revoked()),
        Err(e) => return Err(e.into()),
    };
    if is_banned(&user, now) {
        return Err(ApiError::Forbidden("This account is banned.".into()));
    }
    Ok(Principal {
        user,
        kind: claims.typ,
        session_id,
        client_key_id,
        scopes,
    })
}

/// Whether `user` is banned at `now` (a ban with an expiry ends then).
pub fn is_banned(user: &UserRow, now: chrono::NaiveDateTime) -> bool {
    user.banned && user.ban_expires.is_none_or(|end| end > now)
}

/// Roles in increasing power: `user` < `staff` < `admin`.
pub fn role_rank(role: &str) -> u8 {
    match role {
        "admin" => 2,
        "staff" => 1,
        _ => 0,
    }
}

/// 403 unless `principal`'s role is at least `needed` (`staff` reads admin data, `admin`
/// changes it).
pub fn require_role(principal: &Principal, needed: &str) -> Result<(), ApiError> {
    if role_rank(&principal.user.role) >= role_rank(needed) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "This operation needs the `{needed}` role."
        )))
    }
}
