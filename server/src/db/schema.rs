//! diesel table definitions, shared by both backends (the migrations keep the DDL apart).

diesel::table! {
    /// Registered users.
    users (id) {
        /// Opaque id, `user-…`.
        id -> Text,
        /// Lower-cased email address (unique).
        email -> Text,
        /// argon2id PHC string.
        password_hash -> Text,
        /// `user`, `staff` or `admin`.
        role -> Text,
        /// `pending`, `active`, …
        status -> Text,
        /// Display name.
        display_name -> Nullable<Text>,
        /// Creation time (UTC).
        created_at -> Timestamp,
        /// Last update time (UTC).
        updated_at -> Timestamp,
    }
}
