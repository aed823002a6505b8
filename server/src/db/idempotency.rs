//! `Idempotency-Key` bookkeeping for the POSTs that honour it (order placement, loan
//! applications, loan payments): a key is remembered per user and operation for
//! [`IDEMPOTENCY_TTL_HOURS`] with the hash of the request it came with, the resource it
//! created and, where the operation replays it, the first response's body.
//!
//! Both macros run inside the caller's write transaction (`$c` is the concrete connection),
//! so the check, the change and the remembering commit or roll back together.

/// How long an `Idempotency-Key` is remembered.
pub const IDEMPOTENCY_TTL_HOURS: i64 = 24;

/// What a key says about a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyLookup {
    /// Unused (or expired, and now forgotten): act.
    New,
    /// A retry of the request that used the key: answer as the first time.
    Replay {
        /// The resource the first request created.
        resource_id: String,
        /// The first response's body, when the operation stored it.
        response: Option<String>,
    },
    /// The key was used with a different request (409).
    Mismatch,
}

/// Looks `$key` up for `$user` and `$operation`, forgetting it when expired; evaluates to
/// `Result<KeyLookup, diesel::result::Error>`.
macro_rules! lookup_key {
    ($c:expr, $user:expr, $operation:expr, $key:expr, $hash:expr, $now:expr) => {{
        use $crate::db::schema::idempotency_keys as keys;
        let cutoff = $now - chrono::Duration::hours($crate::db::idempotency::IDEMPOTENCY_TTL_HOURS);
        let seen: Result<Option<(String, String, chrono::NaiveDateTime, Option<String>)>, diesel::result::Error> =
            keys::table
                .find(($user, $operation, $key))
                .select((keys::request_hash, keys::resource_id, keys::created_at, keys::response))
                .first($c)
                .await
                .optional();
        match seen {
            Err(e) => Err(e),
            Ok(Some((hash, resource_id, at, response))) if at > cutoff => {
                Ok(if hash.as_str() == AsRef::<str>::as_ref($hash) {
                    $crate::db::idempotency::KeyLookup::Replay { resource_id, response }
                } else {
                    $crate::db::idempotency::KeyLookup::Mismatch
                })
            }
            Ok(Some(_)) => diesel::delete(keys::table.find(($user, $operation, $key)))
                .execute($c)
                .await
                .map(|_| $crate::db::idempotency::KeyLookup::New),
            Ok(None) => Ok($crate::db::idempotency::KeyLookup::New),
        }
    }};
}

/// Claims `$key` for `$user`, `$operation` and the request hashed `$hash`, or says what it
/// already stands for; evaluates to `Result<KeyLookup, diesel::result::Error>`. `New` means
/// this transaction now holds the key: a concurrent request with the same key waits on it
/// (PostgreSQL's unique-insert wait; SQLite serialises writers) and then replays or refuses
/// what this one commits. Call [`remember_key!`] once the resource exists.
macro_rules! claim_key {
    ($c:expr, $user:expr, $operation:expr, $key:expr, $hash:expr, $now:expr) => {{
        use $crate::db::idempotency::KeyLookup;
        use $crate::db::schema::idempotency_keys as keys;
        match $crate::db::idempotency::lookup_key!($c, $user, $operation, $key, $hash, $now) {
            Ok(KeyLookup::New) => {
                let claimed = diesel::insert_into(keys::table)
                    .values((
                        keys::user_id.eq($user),
                        keys::operation.eq($operation),
                        keys::idempotency_key.eq($key),
                        keys::request_hash.eq($hash),
                        keys::resource_id.eq(""),
                        keys::response.eq(None::<String>),
                        keys::created_at.eq($now),
                    ))
                    .on_conflict_do_nothing()
                    .execute($c)
                    .await;
                match claimed {
                    Ok(1) => Ok(KeyLookup::New),
                    // Claimed by a request that committed meanwhile: answer as it did.
                    Ok(_) => $crate::db::idempotency::lookup_key!($c, $user, $operation, $key, $hash, $now),
                    Err(e) => Err(e),
                }
            }
            other => other,
        }
    }};
}

/// Records what the claimed `$key` created: `$resource`, answered with `$response` (an
/// `Option<&str>`); evaluates to `Result<usize, diesel::result::Error>`.
macro_rules! remember_key {
    ($c:expr, $user:expr, $operation:expr, $key:expr, $resource:expr, $response:expr) => {{
        use $crate::db::schema::idempotency_keys as keys;
        diesel::update(keys::table.find(($user, $operation, $key)))
            .set((keys::resource_id.eq($resource), keys::response.eq($response)))
            .execute($c)
            .await
    }};
}

pub(crate) use {claim_key, lookup_key, remember_key};
