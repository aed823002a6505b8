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

/// Hashes `password` into a PHC string (CPU-bound: async code calls [`hash_async`]).
pub fn hash(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing cannot fail with valid parameters")
        .to_string()
}

/// Whether `password` matches the PHC string `phc` (CPU-bound: async code calls
/// [`verify_async`]).
pub fn verify(phc: &str, password: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| argon2().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A PHC string of a random password: verified against when a user does not exist, so a
/// login takes as long for unknown emails as for known ones.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash("dummy password never used for an account"))
}

/// A job for the argon2 workers.
type Job = Box<dyn FnOnce() + Send>;

/// The argon2 workers: one thread per core, started on first use. More at once would only
/// time-slice the same cores, and each thread's allocator keeps the 19 MiB block an argon2
/// run uses: on tokio's blocking pool (up to 512 threads) a burst of logins left the server
/// holding over 1 GiB (bench/README.md); here it is one block per core.
fn workers() -> &'static std::sync::mpsc::Sender<Job> {
    static SENDER: std::sync::OnceLock<std::sync::mpsc::Sender<Job>> = std::sync::OnceLock::new();
    SENDER.get_or_init(|| {
        let (sender, receiver) = std::sync::mpsc::channel::<Job>();
        let receiver = std::sync::Arc::new(std::sync::Mutex::new(receiver));
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        for n in 0..threads {
            let receiver = std::sync::Arc::clone(&receiver);
            std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || {
                    loop {
                        let job = match receiver.lock() {
                            Ok(receiver) => receiver.recv(),
                            Err(_) => return,
                        };
                        let Ok(job) = job else { return };
                        // A panicking job loses its answer, not the worker.
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                    }
                })
                .expect("an argon2 worker thread starts");
        }
        sender
    })
}

/// Runs `work` on the argon2 workers; `None` if it panicked.
async fn on_workers<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (answer, answered) = tokio::sync::oneshot::channel();
    workers()
        .send(Box::new(move || {
            // Nobody waits any more (the request was dropped): skip the 19 MiB run.
            if !answer.is_closed() {
                let _ = answer.send(work());
            }
        }))
        .ok()?;
    answered.await.ok()
}

/// [`hash`] on the argon2 workers.
pub async fn hash_async(password: String) -> String {
    on_workers(move || hash(&password))
        .await
        .expect("hashing does not panic")
}

/// [`verify`] on the argon2 workers.
pub async fn verify_async(phc: String, password: String) -> bool {
    on_workers(move || verify(&phc, &password)).await.unwrap_or(false)
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

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn argon2_runs_on_one_worker_per_core_however_many_ask_at_once() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let phc = hash("Correct#Horse1");
        let (running, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let tasks: Vec<_> = (0..12)
            .map(|n| {
                let (phc, running, peak) = (phc.clone(), running.clone(), peak.clone());
                let password = if n % 3 == 0 { "wrong" } else { "Correct#Horse1" };
                tokio::spawn(async move {
                    let verified = on_workers(move || {
                        peak.fetch_max(running.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
                        let verified = verify(&phc, password);
                        running.fetch_sub(1, Ordering::SeqCst);
                        (verified, std::thread::current().name().map(str::to_owned))
                    })
                    .await;
                    (n, verified.expect("the job ran"))
                })
            })
            .collect();
        for task in tasks {
            let (n, (verified, thread)) = task.await.expect("the task completes");
            assert_eq!(verified, n % 3 != 0, "check {n}");
            assert!(
                thread.is_some_and(|t| t.starts_with("argon2-")),
                "check {n} ran off the workers"
            );
        }
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let peak = peak.load(Ordering::SeqCst);
        assert!(peak <= cores, "{peak} verifications at once on {cores} cores");
        assert!(verify_async(phc.clone(), "Correct#Horse1".into()).await);
        assert!(verify(&hash_async("Correct#Horse1".into()).await, "Correct#Horse1"));
    }
}
