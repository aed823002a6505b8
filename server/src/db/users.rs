//! User rows: insert, look-up and the updates the auth and accounts groups make, written
//! once for both backends.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::users;
use super::{DbConn, DbError};
use crate::with_conn;

/// A row of `users`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = users, treat_none_as_null = true)]
pub struct UserRow {
    /// Opaque id, `user-…`.
    pub id: String,
    /// Lower-cased email address.
    pub email: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// `user`, `staff` or `admin`.
    pub role: String,
    /// `pending` or `active`.
    pub status: String,
    /// Display name.
    pub display_name: Option<String>,
    /// `individual` or `company`.
    pub entity_type: String,
    /// Billing country (ISO 3166-1 alpha-2).
    pub billing_country: Option<String>,
    /// Billing postal code.
    pub billing_zip_code: Option<String>,
    /// Billing street address.
    pub billing_address: Option<String>,
    /// Billing state or region.
    pub billing_state: Option<String>,
    /// Ethereum wallet address.
    pub wallet_address: Option<String>,
    /// When the email was verified.
    pub verified_at: Option<NaiveDateTime>,
    /// Last successful login.
    pub last_login_at: Option<NaiveDateTime>,
    /// Consecutive failed logins.
    pub failed_logins: i32,
    /// Locked until.
    pub locked_until: Option<NaiveDateTime>,
    /// Banned.
    pub banned: bool,
    /// Ban reason.
    pub ban_reason: Option<String>,
    /// Ban end.
    pub ban_expires: Option<NaiveDateTime>,
    /// TOTP secret (base32).
    pub totp_secret: Option<String>,
    /// 2FA on.
    pub totp_enabled: bool,
    /// Last accepted TOTP step.
    pub totp_last_step: Option<i64>,
    /// Created (UTC).
    pub created_at: NaiveDateTime,
    /// Updated (UTC).
    pub updated_at: NaiveDateTime,
}

impl UserRow {
    /// A new `pending` user with defaults for everything but the credentials.
    pub fn new(id: String, email: String, password_hash: String, now: NaiveDateTime) -> Self {
        Self {
            id,
            email,
            password_hash,
            role: "user".into(),
            status: "pending".into(),
            display_name: None,
            entity_type: "individual".into(),
            billing_country: None,
            billing_zip_code: None,
            billing_address: None,
            billing_state: None,
            wallet_address: None,
            verified_at: None,
            last_login_at: None,
            failed_logins: 0,
            locked_until: None,
            banned: false,
            ban_reason: None,
            ban_expires: None,
            totp_secret: None,
            totp_enabled: false,
            totp_last_step: None,
            created_at: now,
            updated_at: now,
        }
    }
}

/// Inserts `user`; a taken email is [`DbError::Conflict`].
pub async fn insert(conn: &mut DbConn, user: &UserRow) -> Result<(), DbError> {
    with_conn!(conn, c => diesel::insert_into(users::table).values(user).execute(c).await)?;
    Ok(())
}

/// The user with `id`; [`DbError::NotFound`] when there is none.
pub async fn find(conn: &mut DbConn, id: &str) -> Result<UserRow, DbError> {
    let row = with_conn!(conn, c => users::table.find(id).select(UserRow::as_select()).first(c).await)?;
    Ok(row)
}

/// The user with `email` (already lower-cased); [`DbError::NotFound`] when there is none.
pub async fn find_by_email(conn: &mut DbConn, email: &str) -> Result<UserRow, DbError> {
    let row = with_conn!(conn, c => users::table
        .filter(users::email.eq(email))
        .select(UserRow::as_select())
        .first(c)
        .await)?;
    Ok(row)
}

/// Writes every column of `user` (by id); [`DbError::NotFound`] when it is gone.
pub async fn save(conn: &mut DbConn, user: &UserRow) -> Result<(), DbError> {
    let n = with_conn!(conn, c => diesel::update(users::table.find(&user.id)).set(user).execute(c).await)?;
    if n == 0 { Err(DbError::NotFound) } else { Ok(()) }
}

/// Number of users.
pub async fn count(conn: &mut DbConn) -> Result<i64, DbError> {
    let n = with_conn!(conn, c => users::table.count().get_result(c).await)?;
    Ok(n)
}

/// Counts a failed login of `id` in one statement (concurrent failures cannot overwrite each
/// other's count): the new count; at `max` the account locks until `lock_until` and the
/// count starts again.
pub async fn record_failed_login(
    conn: &mut DbConn,
    id: &str,
    max: i32,
    lock_until: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<i32, DbError> {
    let id = id.to_owned();
    crate::write_tx!(conn, c => {
        let count: i32 = diesel::update(users::table.find(&id))
            .set(users::failed_logins.eq(users::failed_logins + 1))
            .returning(users::failed_logins)
            .get_result(c)
            .await?;
        if count >= max {
            diesel::update(users::table.find(&id))
                .set((users::failed_logins.eq(0), users::locked_until.eq(Some(lock_until)), users::updated_at.eq(now)))
                .execute(c)
                .await?;
        }
        Ok::<_, DbError>(count)
    })
}

/// Records a successful login — failure count reset, `last_login_at` set — unless the account
/// was locked meanwhile (by guesses running in parallel): whether it was recorded.
pub async fn record_login(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> Result<bool, DbError> {
    let n = with_conn!(conn, c => diesel::update(
        users::table
            .find(id)
            .filter(users::locked_until.is_null().or(users::locked_until.le(now))),
    )
    .set((
        users::failed_logins.eq(0),
        users::locked_until.eq(None::<NaiveDateTime>),
        users::last_login_at.eq(Some(now)),
        users::updated_at.eq(now),
    ))
    .execute(c)
    .await)?;
    Ok(n == 1)
}

/// Writes the fields a user may change about themselves (name, entity type, billing address,
/// wallet), leaving credentials, role, ban and 2FA state as they are in the database.
pub async fn save_profile(conn: &mut DbConn, user: &UserRow) -> Result<(), DbError> {
    with_conn!(conn, c => diesel::update(users::table.find(&user.id))
        .set((
            users::display_name.eq(&user.display_name),
            users::entity_type.eq(&user.entity_type),
            users::billing_country.eq(&user.billing_country),
            users::billing_zip_code.eq(&user.billing_zip_code),
            users::billing_address.eq(&user.billing_address),
            users::billing_state.eq(&user.billing_state),
            users::wallet_address.eq(&user.wallet_address),
            users::updated_at.eq(user.updated_at),
        ))
        .execute(c)
        .await)?;
    Ok(())
}

/// Writes the fields an admin changes (name, role, ban), leaving credentials and 2FA state
/// as they are in the database.
pub async fn save_admin_fields(conn: &mut DbConn, user: &UserRow) -> Result<(), DbError> {
    with_conn!(conn, c => diesel::update(users::table.find(&user.id))
        .set((
            users::display_name.eq(&user.display_name),
            users::role.eq(&user.role),
            users::banned.eq(user.banned),
            users::ban_reason.eq(&user.ban_reason),
            users::ban_expires.eq(user.ban_expires),
            users::updated_at.eq(user.updated_at),
        ))
        .execute(c)
        .await)?;
    Ok(())
}

/// Accepts TOTP step `step` for `id` only if it is later than the last accepted one; whether
/// it was (a code works once, even under concurrent requests).
pub async fn claim_totp_step(conn: &mut DbConn, id: &str, step: i64) -> Result<bool, DbError> {
    let n = with_conn!(conn, c => diesel::update(
        users::table
            .find(id)
            .filter(users::totp_last_step.is_null().or(users::totp_last_step.lt(step))),
    )
    .set(users::totp_last_step.eq(Some(step)))
    .execute(c)
    .await)?;
    Ok(n == 1)
}

/// The user a wallet address is linked to, if any.
pub async fn wallet_owner(conn: &mut DbConn, address: &str) -> Result<Option<String>, DbError> {
    Ok(with_conn!(conn, c => users::table
        .filter(users::wallet_address.eq(address))
        .select(users::id)
        .first::<String>(c)
        .await
        .optional())?)
}

/// Replaces the password hash.
pub async fn set_password(conn: &mut DbConn, id: &str, hash: &str, now: NaiveDateTime) -> Result<(), DbError> {
    with_conn!(conn, c => diesel::update(users::table.find(id))
        .set((users::password_hash.eq(hash), users::updated_at.eq(now)))
        .execute(c)
        .await)?;
    Ok(())
}

/// Uses the unexpired, unused verification token with `hash` issued to `user_id` and marks the
/// email verified (status `active`), in one transaction; whether the token was good.
pub async fn verify_email_with_token(
    conn: &mut DbConn,
    user_id: &str,
    hash: &str,
    now: NaiveDateTime,
) -> Result<bool, DbError> {
    use super::schema::one_time_tokens as ott;
    let (user_id, hash) = (user_id.to_owned(), hash.to_owned());
    crate::write_tx!(conn, c => {
        let used = diesel::update(
            ott::table
                .find(&hash)
                .filter(ott::user_id.eq(&user_id))
                .filter(ott::purpose.eq("verify_email"))
                .filter(ott::used_at.is_null())
                .filter(ott::expires_at.gt(now)),
        )
        .set(ott::used_at.eq(Some(now)))
        .execute(c)
        .await?;
        if used != 1 {
            return Ok(false);
        }
        diesel::update(users::table.find(&user_id))
            .set((
                users::status.eq("active"),
                users::verified_at.eq(diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::Timestamp>>("COALESCE(verified_at, ").bind::<diesel::sql_types::Timestamp, _>(now).sql(")")),
                users::updated_at.eq(now),
            ))
            .execute(c)
            .await?;
        Ok::<_, DbError>(true)
    })
}

/// Deletes an account's personal data: sessions, refresh and one-time tokens, recovery codes,
/// client keys (their tokens stop working), audit events and the demo trading wallet with
/// its orders and fills are removed; the user row becomes
/// an anonymised stub that can never sign in (records others depend on stay attached to it),
/// and the email address is free to register again. One transaction.
///
/// An admin is refused ([`DbError::Conflict`]) when no other admin who is not banned would
/// remain; the check runs in the same transaction (on PostgreSQL with the admin rows locked),
/// so two admins leaving at once cannot both pass it.
pub async fn erase(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> Result<(), DbError> {
    use super::schema::{
        client_keys, credit_events, credit_scores, events, idempotency_keys, loan_payments, loans, one_time_tokens,
        recovery_codes, sessions, trading_balances, trading_orders, trading_trades, trading_wallets,
    };
    let id = id.to_owned();
    let stub_email = format!("deleted+{id}@deleted.invalid");
    let postgres = matches!(conn, DbConn::Postgres(_));
    crate::write_tx!(conn, c => {
        let role: String = users::table.find(&id).select(users::role).first(c).await?;
        if role == "admin" {
            if postgres {
                diesel::sql_query("SELECT id FROM users WHERE role = 'admin' FOR UPDATE").execute(c).await?;
            }
            let others: i64 = users::table
                .filter(users::role.eq("admin"))
                .filter(users::id.ne(&id))
                .filter(users::banned.eq(false).or(users::ban_expires.le(now)))
                .count()
                .get_result(c)
                .await?;
            if others == 0 {
                return Err(DbError::Conflict("the last admin".into()));
            }
        }
        diesel::delete(sessions::table.filter(sessions::user_id.eq(&id))).execute(c).await?;
        diesel::delete(one_time_tokens::table.filter(one_time_tokens::user_id.eq(&id))).execute(c).await?;
        diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(&id))).execute(c).await?;
        diesel::delete(client_keys::table.filter(client_keys::user_id.eq(&id))).execute(c).await?;
        diesel::delete(events::table.filter(events::user_id.eq(&id))).execute(c).await?;
        // The demo wallet and its history.
        diesel::delete(idempotency_keys::table.filter(idempotency_keys::user_id.eq(&id))).execute(c).await?;
        diesel::delete(trading_trades::table.filter(trading_trades::user_id.eq(&id))).execute(c).await?;
        diesel::delete(trading_orders::table.filter(trading_orders::user_id.eq(&id))).execute(c).await?;
        diesel::delete(trading_balances::table.filter(trading_balances::user_id.eq(&id))).execute(c).await?;
        diesel::delete(trading_wallets::table.filter(trading_wallets::user_id.eq(&id))).execute(c).await?;
        // Loans, their payments, and the credit history and scores.
        let own_loans = loans::table.filter(loans::user_id.eq(&id)).select(loans::id);
        diesel::delete(loan_payments::table.filter(loan_payments::loan_id.eq_any(own_loans))).execute(c).await?;
        diesel::delete(loans::table.filter(loans::user_id.eq(&id))).execute(c).await?;
        diesel::delete(credit_events::table.filter(credit_events::user_id.eq(&id))).execute(c).await?;
        diesel::delete(credit_scores::table.filter(credit_scores::user_id.eq(&id))).execute(c).await?;
        diesel::update(users::table.find(&id))
            .set((
                users::email.eq(&stub_email),
                users::password_hash.eq("!deleted"),
                users::display_name.eq(None::<String>),
                users::billing_country.eq(None::<String>),
                users::billing_zip_code.eq(None::<String>),
                users::billing_address.eq(None::<String>),
                users::billing_state.eq(None::<String>),
                users::wallet_address.eq(None::<String>),
                users::totp_secret.eq(None::<String>),
                users::totp_enabled.eq(false),
                users::role.eq("user"),
                users::banned.eq(true),
                users::ban_reason.eq(Some("account deleted")),
                users::ban_expires.eq(None::<NaiveDateTime>),
                users::updated_at.eq(now),
            ))
            .execute(c)
            .await?;
        Ok::<_, DbError>(())
    })
}
