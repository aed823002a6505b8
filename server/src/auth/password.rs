//! Passwords: argon2id with OWASP's parameters (m = 19456 KiB, t = 2, p = 1), a random salt
//! per hash, PHC strings stored; and seed 003's policy (≥ 8 characters, upper, lower, digit,
//! special) with messages naming what is missing.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, Version};

/// Longest password accepted (bytes); the spec allows 128 characters.
pub const MAX_LEN: usize = 512;

/// The argon2id instance with OWASP's minimum recommended parameters.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes `password` into a PHC string (CPU-bound: call from a blocking thread).
pub fn hash(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing cannot fail with valid parameters")
        .to_string()
}

/// Whether `password` matches the PHC string `phc` (CPU-bound: call from a blocking thread).
pub fn verify(phc: &str, password: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| argon2().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A PHC string of a random password: verified against when a user does not exist, so a
/// login takes as long for unknown emails as for known ones.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash("dummy password never used for an account"))
}

/// [`hash`] on tokio's blocking pool.
pub async fn hash_async(password: String) -> String {
    tokio::task::spawn_blocking(move || hash(&password))
        .await
        .expect("hashing does not panic")
}

/// [`verify`] on tokio's blocking pool.
pub async fn verify_async(phc: String, password: String) -> bool {
    tokio::task::spawn_blocking(move || verify(&phc, &password))
        .await
        .unwrap_or(false)
}

/// Seed 003's password policy as the spec states it: 8 to 128 characters with an ASCII
/// uppercase letter, an ASCII lowercase letter, a digit and a special character (anything
/// not an ASCII letter or digit). `Err` lists what is missing, in words.
pub fn check_policy(password: &str) -> Result<(), String> {
    let length = password.chars().count();
    if length > 128 || password.len() > MAX_LEN {
        return Err("Password must be at most 128 characters long.".into());
    }
    let mut missing = Vec::new();
    if length < 8 {
        missing.push("at least 8 characters");
    }
    if !password.chars().any(|c| c.is_ascii_uppercase()) {
        missing.push("an uppercase letter");
    }
    if !password.chars().any(|c| c.is_ascii_lowercase()) {
        missing.push("a lowercase letter");
    }
    if !password.chars().any(|c| c.is_ascii_digit()) {
        missing.push("a digit");
    }
    if !password.chars().any(|c| !c.is_ascii_alphanumeric()) {
        missing.push("a special character");
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("Password must contain {}.", missing.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let phc = hash("Correct#Horse1");
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify(&phc, "Correct#Horse1"));
        assert!(!verify(&phc, "Correct#Horse2"));
        assert_ne!(phc, hash("Correct#Horse1"), "a fresh salt per hash");
        assert!(!verify("not a phc string", "x"));
    }

    #[test]
    fn the_policy_names_what_is_missing() {
        assert!(check_policy("SecurePass123!").is_ok());
        assert_eq!(
            check_policy("short").unwrap_err(),
            "Password must contain at least 8 characters, an uppercase letter, a digit, a special character."
        );
        assert_eq!(
            check_policy("alllowercase1!").unwrap_err(),
            "Password must contain an uppercase letter."
        );
        assert_eq!(
            check_policy("NoDigitsHere!").unwrap_err(),
            "Password must contain a digit."
        );
        assert_eq!(
            check_policy("NoSpecial123").unwrap_err(),
            "Password must contain a special character."
        );
        let long = format!("Aa1!{}", "x".repeat(60));
        assert!(check_policy(&long).is_ok(), "64 characters are accepted");
    }
}
