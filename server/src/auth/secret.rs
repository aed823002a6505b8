//! Opaque secrets (refresh tokens, email tokens, client secrets): high-entropy random text,
//! stored only as SHA-256 hashes.

use base64::Engine;
use sha2::{Digest, Sha256};

/// A random URL-safe token carrying `bytes` bytes of entropy.
pub fn token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::fill(&mut buf[..]);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// `len` random characters of `[A-Za-z0-9]`.
pub fn alphanumeric(len: usize) -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect()
}

/// SHA-256 of `secret`, lower-case hex: what is stored and looked up.
pub fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A new opaque id with a Bloq-style prefix, e.g. `user-3f2a…` (UUID v4 text).
pub fn id(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_digests_stable() {
        let (a, b) = (token(32), token(32));
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(alphanumeric(40).len(), 40);
        assert!(id("user").starts_with("user-"));
    }
}
