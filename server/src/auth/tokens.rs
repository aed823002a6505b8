//! Signed JWTs (HS256): user access tokens (15 min), Bloq account tokens (12 h) and client
//! tokens (1 h). The verifier pins the algorithm and checks issuer, audience, expiry and the
//! token kind, so `alg: none`, another algorithm, a wrong key, an expired or tampered token,
//! or a token of the wrong kind is refused.

use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// Issuer and audience of every Meridian token.
pub const ISSUER: &str = "meridian";
/// Audience of every Meridian token.
pub const AUDIENCE: &str = "meridian-api";
/// Bloq account token lifetime.
pub const ACCOUNT_TTL_SECS: i64 = 12 * 3600;

/// What a token stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// A user's access token from login or refresh (session-bound).
    Access,
    /// A Bloq account token from HTTP Basic (session-bound).
    Account,
    /// A client token from a client key (scoped).
    Client,
}

/// The claims Meridian signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// The user id.
    pub sub: String,
    /// Expiry (unix seconds).
    pub exp: i64,
    /// Issued at (unix seconds).
    pub iat: i64,
    /// Unique token id.
    pub jti: String,
    /// The token kind.
    pub typ: TokenKind,
    /// The session (user and account tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// The user's role when issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The client key (client tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cid: Option<String>,
    /// Granted scopes, space-separated (client tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// Signing and verification keys.
#[derive(Clone)]
pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

/// Why a token was refused (all answered with 401).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Expired.
    #[error("the token has expired")]
    Expired,
    /// Anything else: bad signature, algorithm, issuer, audience, shape or kind.
    #[error("the token is invalid")]
    Invalid,
}

impl Keys {
    /// Keys from the configured secret.
    pub fn new(secret: &[u8]) -> anyhow::Result<Self> {
        Ok(Self {
            encoding: EncodingKey::from_secret(secret)?,
            decoding: DecodingKey::from_secret(secret)?,
        })
    }

    /// Signs a token of `kind` for `sub`, valid for `ttl_secs`; returns it with its claims.
    pub fn issue(&self, kind: TokenKind, sub: &str, ttl_secs: i64, extra: ClaimsExtra) -> (String, Claims) {
        let now = Utc::now().timestamp();
        let claims = Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: sub.into(),
            exp: now + ttl_secs,
            iat: now,
            jti: uuid::Uuid::new_v4().to_string(),
            typ: kind,
            sid: extra.sid,
            role: extra.role,
            cid: extra.cid,
            scope: extra.scope,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing cannot fail");
        (token, claims)
    }

    /// Verifies `token` (HS256 only, issuer, audience, expiry) and that its kind is one of `kinds`.
    pub fn verify(&self, token: &str, kinds: &[TokenKind]) -> Result<Claims, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // RFC 7519 §4.1.5: never accepted before its `nbf`, when it has one (ours do not).
        validation.validate_nbf = true;
        validation.leeway = 5;
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation).map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
            _ => TokenError::Invalid,
        })?;
        if !kinds.contains(&data.claims.typ) {
            return Err(TokenError::Invalid);
        }
        Ok(data.claims)
    }
}

/// Optional claims of [`Keys::issue`].
#[derive(Debug, Clone, Default)]
pub struct ClaimsExtra {
    /// Session id.
    pub sid: Option<String>,
    /// Role.
    pub role: Option<String>,
    /// Client key id.
    pub cid: Option<String>,
    /// Scopes.
    pub scope: Option<String>,
}

#[cfg(test)]
mod tests {
    use base64::Engine;

    use super::*;

    fn keys() -> Keys {
        Keys::new(b"unit-test-secret-that-is-long-enough-000").unwrap()
    }

    fn b64(v: &serde_json::Value) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    }

    #[test]
    fn round_trips_and_checks_the_kind() {
        let (token, claims) = keys().issue(
            TokenKind::Access,
            "user-1",
            60,
            ClaimsExtra {
                sid: Some("s".into()),
                ..Default::default()
            },
        );
        assert_eq!(keys().verify(&token, &[TokenKind::Access]).unwrap(), claims);
        assert_eq!(keys().verify(&token, &[TokenKind::Client]), Err(TokenError::Invalid));
    }

    #[test]
    fn refuses_forgeries() {
        let (token, claims) = keys().issue(TokenKind::Access, "user-1", 60, ClaimsExtra::default());
        // Wrong key.
        assert!(
            Keys::new(b"another-secret-another-secret-0000000")
                .unwrap()
                .verify(&token, &[TokenKind::Access])
                .is_err()
        );
        // Expired.
        let (old, _) = keys().issue(TokenKind::Access, "user-1", -60, ClaimsExtra::default());
        assert_eq!(keys().verify(&old, &[TokenKind::Access]), Err(TokenError::Expired));
        // alg: none, with the same claims.
        let none = format!(
            "{}.{}.",
            b64(&serde_json::json!({"alg": "none", "typ": "JWT"})),
            b64(&serde_json::to_value(&claims).unwrap())
        );
        assert!(keys().verify(&none, &[TokenKind::Access]).is_err());
        // Another algorithm (HS512 with the same secret).
        let hs512 = jsonwebtoken::encode(
            &Header::new(Algorithm::HS512),
            &claims,
            &EncodingKey::from_secret(b"unit-test-secret-that-is-long-enough-000").unwrap(),
        )
        .unwrap();
        assert!(keys().verify(&hs512, &[TokenKind::Access]).is_err());
        // A tampered payload (role raised) under the original signature.
        let parts: Vec<&str> = token.split('.').collect();
        let mut raised = serde_json::to_value(&claims).unwrap();
        raised["role"] = "admin".into();
        let tampered = format!("{}.{}.{}", parts[0], b64(&raised), parts[2]);
        assert!(keys().verify(&tampered, &[TokenKind::Access]).is_err());
        // Wrong audience.
        let mut other = claims.clone();
        other.aud = "someone-else".into();
        let foreign = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &other,
            &EncodingKey::from_secret(b"unit-test-secret-that-is-long-enough-000").unwrap(),
        )
        .unwrap();
        assert!(keys().verify(&foreign, &[TokenKind::Access]).is_err());
    }

    #[test]
    fn refuses_tokens_before_their_not_before_time() {
        // Found by the token-attack suite: a correctly signed token whose `nbf` was an hour
        // ahead was accepted (jsonwebtoken does not check `nbf` unless asked).
        let (_, claims) = keys().issue(TokenKind::Access, "user-1", 7200, ClaimsExtra::default());
        let secret = EncodingKey::from_secret(b"unit-test-secret-that-is-long-enough-000").unwrap();
        let sign = |nbf: i64| {
            let mut value = serde_json::to_value(&claims).unwrap();
            value["nbf"] = nbf.into();
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &value, &secret).unwrap()
        };
        let now = Utc::now().timestamp();
        assert_eq!(
            keys().verify(&sign(now + 3600), &[TokenKind::Access]),
            Err(TokenError::Invalid)
        );
        assert_eq!(keys().verify(&sign(now - 60), &[TokenKind::Access]), Ok(claims));
    }
}
