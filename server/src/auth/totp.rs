//! TOTP (RFC 6238 over RFC 4226 HOTP): HMAC-SHA1, 6 digits, 30-second steps, ±1 step of
//! clock drift, each code accepted once (the last accepted step is stored).

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Step length in seconds.
pub const STEP_SECS: u64 = 30;
/// Code length.
pub const DIGITS: u32 = 6;

/// A new random secret: 20 bytes (160 bits, RFC 4226's recommendation), base32 without padding.
pub fn generate_secret() -> String {
    let bytes: [u8; 20] = rand::random();
    data_encoding::BASE32_NOPAD.encode(&bytes)
}

/// The `otpauth://` URL authenticator apps scan.
pub fn otpauth_url(secret: &str, account: &str, issuer: &str) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    format!(
        "otpauth://totp/{}:{}?secret={secret}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        enc(issuer),
        enc(account),
        enc(issuer)
    )
}

/// The HOTP code of `secret` (base32) at counter `step`.
pub fn code_at(secret: &str, step: u64) -> Option<String> {
    let key = data_encoding::BASE32_NOPAD
        .decode(secret.trim_end_matches('=').as_bytes())
        .ok()?;
    let mut mac = Hmac::<Sha1>::new_from_slice(&key).ok()?;
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = (digest[19] & 0x0f) as usize;
    let binary = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    Some(format!(
        "{:0width$}",
        binary % 10u32.pow(DIGITS),
        width = DIGITS as usize
    ))
}

/// The step `code` matches at unix time `now` (±1 step), if any and if later than
/// `last_used` (so a code works once).
pub fn matching_step(secret: &str, code: &str, now: u64, last_used: Option<i64>) -> Option<u64> {
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let current = now / STEP_SECS;
    [current.saturating_sub(1), current, current + 1]
        .into_iter()
        .filter(|step| last_used.is_none_or(|last| *step as i64 > last))
        .find(|step| {
            code_at(secret, *step).is_some_and(|expected| constant_time_eq(expected.as_bytes(), code.as_bytes()))
        })
}

/// Compares without an early exit.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA1, secret "12345678901234567890" (8 digits there; the last 6 here).
    #[test]
    fn matches_the_rfc_6238_test_vectors() {
        let secret = data_encoding::BASE32_NOPAD.encode(b"12345678901234567890");
        for (time, eight) in [
            (59u64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
        ] {
            assert_eq!(code_at(&secret, time / STEP_SECS).unwrap(), eight[2..], "t={time}");
        }
    }

    #[test]
    fn accepts_one_step_of_drift_and_each_code_once() {
        let secret = generate_secret();
        let now = 1_700_000_000;
        let code = code_at(&secret, now / STEP_SECS - 1).unwrap();
        let step = matching_step(&secret, &code, now, None).expect("previous step accepted");
        assert_eq!(matching_step(&secret, &code, now, Some(step as i64)), None, "used once");
        let old = code_at(&secret, now / STEP_SECS - 2).unwrap();
        assert_eq!(matching_step(&secret, &old, now, None), None, "two steps old");
        assert_eq!(matching_step(&secret, "12345", now, None), None);
        assert!(otpauth_url(&secret, "a@b.co", "Meridian").starts_with("otpauth://totp/Meridian:a@b.co?secret="));
    }
}
