//! Request ids: `X-Request-Id` taken from the caller when sane, generated otherwise, echoed on
//! every response and available to error bodies and logs through a task-local.

use poem::Request;

/// The header carrying the id, in and out.
pub const HEADER: &str = "x-request-id";

/// The pattern an incoming id must match to be echoed (the spec's `X-Request-Id` schema).
pub const PATTERN: &str = "^[A-Za-z0-9._:-]+$";

tokio::task_local! {
    /// The id of the request being served on this task.
    static CURRENT: String;
}

/// The id of the request being served, or `unknown` outside a request.
pub fn current() -> String {
    CURRENT.try_with(Clone::clone).unwrap_or_else(|_| "unknown".into())
}

/// Runs `fut` with `id` as the current request id.
pub async fn scope<F: Future>(id: String, fut: F) -> F::Output {
    CURRENT.scope(id, fut).await
}

/// Whether a caller-supplied id may be echoed: 1–128 characters of `[A-Za-z0-9._:-]`.
pub fn is_valid(id: &str) -> bool {
    (1..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b))
}

/// The caller's id when valid, else a fresh one (`req-` and 20 hex digits).
pub fn from_request(req: &Request) -> String {
    req.headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|id| is_valid(id))
        .map(str::to_owned)
        .unwrap_or_else(generate)
}

/// A new random request id.
pub fn generate() -> String {
    let bytes: [u8; 10] = rand::random();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("req-{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_sane_ids() {
        assert!(is_valid("a1b2c3d4"));
        assert!(is_valid("trace:01.AB-_x"));
        assert!(!is_valid(""));
        assert!(!is_valid(&"a".repeat(129)));
        assert!(is_valid(&"a".repeat(128)));
        assert!(!is_valid("abc def"));
        assert!(!is_valid("abc\r\nSet-Cookie: x=1"));
        assert!(!is_valid("é"));
    }

    #[test]
    fn generated_ids_are_valid_and_distinct() {
        let (a, b) = (generate(), generate());
        assert!(is_valid(&a) && is_valid(&b));
        assert_ne!(a, b);
    }
}
