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
        /// `pending` until the email is verified, then `active`.
        status -> Text,
        /// Display name.
        display_name -> Nullable<Text>,
        /// `individual` or `company`.
        entity_type -> Text,
        /// Billing address: ISO 3166-1 alpha-2 country.
        billing_country -> Nullable<Text>,
        /// Billing address: postal code.
        billing_zip_code -> Nullable<Text>,
        /// Billing address: street address.
        billing_address -> Nullable<Text>,
        /// Billing address: state or region.
        billing_state -> Nullable<Text>,
        /// Ethereum wallet address.
        wallet_address -> Nullable<Text>,
        /// When the email was verified.
        verified_at -> Nullable<Timestamp>,
        /// Last successful login.
        last_login_at -> Nullable<Timestamp>,
        /// Consecutive failed logins.
        failed_logins -> Integer,
        /// Locked (after failures) until.
        locked_until -> Nullable<Timestamp>,
        /// Banned by an admin.
        banned -> Bool,
        /// Why.
        ban_reason -> Nullable<Text>,
        /// Ban end (none: permanent).
        ban_expires -> Nullable<Timestamp>,
        /// TOTP secret (base32), pending or confirmed.
        totp_secret -> Nullable<Text>,
        /// 2FA confirmed and on.
        totp_enabled -> Bool,
        /// Last accepted TOTP time step (a code works once).
        totp_last_step -> Nullable<BigInt>,
        /// Creation time (UTC).
        created_at -> Timestamp,
        /// Last update time (UTC).
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Login sessions (and account-token sessions): what access tokens point at.
    sessions (id) {
        /// Opaque id, `session-…`.
        id -> Text,
        /// The user.
        user_id -> Text,
        /// `login` or `account`.
        kind -> Text,
        /// Client IP at creation.
        ip_address -> Nullable<Text>,
        /// Client user agent at creation.
        user_agent -> Nullable<Text>,
        /// Created.
        created_at -> Timestamp,
        /// Expires (the refresh token's lifetime).
        expires_at -> Timestamp,
        /// Revoked (logout, password change, ban, deletion, refresh reuse).
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Refresh tokens of login sessions, stored hashed; each works once.
    refresh_tokens (token_hash) {
        /// SHA-256 of the token, hex.
        token_hash -> Text,
        /// The session (the token family).
        session_id -> Text,
        /// Issued.
        created_at -> Timestamp,
        /// Expires.
        expires_at -> Timestamp,
        /// Used (rotated); a second use revokes the session.
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Single-use email tokens (verification, password reset), stored hashed.
    one_time_tokens (token_hash) {
        /// SHA-256 of the token, hex.
        token_hash -> Text,
        /// The user.
        user_id -> Text,
        /// `verify_email` or `reset_password`.
        purpose -> Text,
        /// Issued.
        created_at -> Timestamp,
        /// Expires.
        expires_at -> Timestamp,
        /// Used.
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// 2FA recovery codes, stored hashed; each works once.
    recovery_codes (code_hash) {
        /// SHA-256 of the normalised code, hex.
        code_hash -> Text,
        /// The user.
        user_id -> Text,
        /// Used.
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Client keys (Bloq): OAuth 2.0 client credentials acting for their owner.
    client_keys (id) {
        /// Opaque id, `key-…`.
        id -> Text,
        /// The owner.
        user_id -> Text,
        /// Public client id (40 characters).
        client_id -> Text,
        /// SHA-256 of the secret, hex (the secret is shown once).
        secret_hash -> Text,
        /// Label.
        name -> Text,
        /// Granted scopes, space-separated.
        scopes -> Text,
        /// Enabled.
        enabled -> Bool,
        /// Created.
        created_at -> Timestamp,
        /// Last token issued.
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Refresh tokens of client keys (1 year), stored hashed; each works once.
    client_refresh_tokens (token_hash) {
        /// SHA-256 of the token, hex.
        token_hash -> Text,
        /// The key.
        client_key_id -> Text,
        /// Scopes of the grant, space-separated.
        scopes -> Text,
        /// Issued.
        created_at -> Timestamp,
        /// Expires.
        expires_at -> Timestamp,
        /// Used.
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Audit events (Bloq): one per authenticated request.
    events (id) {
        /// Opaque id, `event-…`.
        id -> Text,
        /// The user.
        user_id -> Text,
        /// The operationId served.
        service -> Text,
        /// Request summary (JSON, secrets removed).
        input -> Text,
        /// Response summary (JSON).
        output -> Text,
        /// Service-specific data (JSON).
        service_data -> Nullable<Text>,
        /// When.
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Demo wallets: one per user; the row every order change of the user locks first.
    trading_wallets (user_id) {
        /// The owner.
        user_id -> Text,
        /// Starting USDT.
        initial_balance -> Text,
        /// Realized profit or loss (decimal text).
        realized_pnl -> Text,
        /// Bumped by every change: the per-user lock.
        revision -> BigInt,
        /// When created.
        created_at -> Timestamp,
        /// Last change.
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Balances per (user, asset).
    trading_balances (user_id, asset) {
        /// The owner.
        user_id -> Text,
        /// `USDT` or a base asset.
        asset -> Text,
        /// Spendable (decimal text).
        free -> Text,
        /// Held by resting orders (decimal text).
        locked -> Text,
        /// USDT paid for the holding (decimal text).
        cost_basis -> Text,
    }
}

diesel::table! {
    /// Paper orders.
    trading_orders (id) {
        /// `orderId`.
        id -> BigInt,
        /// The owner.
        user_id -> Text,
        /// The caller's id for the order.
        client_order_id -> Nullable<Text>,
        /// The pair.
        symbol -> Text,
        /// BUY or SELL.
        side -> Text,
        /// MARKET or LIMIT.
        order_type -> Text,
        /// GTC, IOC or FOK (LIMIT only).
        time_in_force -> Nullable<Text>,
        /// Current status.
        status -> Text,
        /// Base quantity ordered.
        orig_qty -> Text,
        /// `quoteOrderQty` given.
        orig_quote_order_qty -> Nullable<Text>,
        /// Base filled.
        executed_qty -> Text,
        /// USDT value of the fills.
        cumulative_quote_qty -> Text,
        /// Limit price, or the fill price of a MARKET order.
        price -> Text,
        /// The limit price in ticks (0 for MARKET), for the matcher's SQL.
        price_ticks -> BigInt,
        /// Fee charged.
        fee -> Text,
        /// The fee's asset.
        fee_asset -> Text,
        /// Funds still locked by the order.
        locked_amount -> Text,
        /// Hash of the canonical request (retries compare it).
        request_hash -> Text,
        /// The 201 body as first sent.
        placed_response -> Text,
        /// Placement time in milliseconds.
        transact_time -> BigInt,
        /// When placed.
        created_at -> Timestamp,
        /// Last change.
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Fills.
    trading_trades (id) {
        /// `trade-…`.
        id -> Text,
        /// The order filled.
        order_id -> BigInt,
        /// The owner.
        user_id -> Text,
        /// The pair.
        symbol -> Text,
        /// The order's side.
        side -> Text,
        /// The order's type.
        order_type -> Text,
        /// Base quantity.
        quantity -> Text,
        /// Fill price.
        price -> Text,
        /// `quantity × price`.
        quote_qty -> Text,
        /// Fee.
        fee -> Text,
        /// Fee asset.
        fee_asset -> Text,
        /// Whether a resting order filled.
        is_maker -> Bool,
        /// When.
        executed_at -> Timestamp,
    }
}

diesel::table! {
    /// `Idempotency-Key`s of POSTs, per user and operation.
    idempotency_keys (user_id, operation, idempotency_key) {
        /// The caller.
        user_id -> Text,
        /// The operationId.
        operation -> Text,
        /// The key.
        idempotency_key -> Text,
        /// Hash of the request body.
        request_hash -> Text,
        /// The resource the first request created.
        resource_id -> Text,
        /// When first used.
        created_at -> Timestamp,
        /// The first response's body, for operations that replay it (loans).
        response -> Nullable<Text>,
    }
}

diesel::table! {
    /// Loan applications and, once approved, the loans (seed 003).
    loans (id) {
        /// `la_…`.
        id -> Text,
        /// The applicant.
        user_id -> Text,
        /// `LA-<year>-<6 digits>`, unique.
        application_number -> Text,
        /// Lifecycle status.
        status -> Text,
        /// personal, mortgage, auto or business.
        loan_type -> Text,
        /// Amount asked for.
        requested_amount -> Text,
        /// Term asked for, in months.
        requested_term_months -> BigInt,
        /// Annual rate (percent) asked for.
        requested_rate -> Nullable<Text>,
        /// The applicant's score when applying.
        credit_score_at_application -> BigInt,
        /// Meridian's approval estimate (percent).
        approval_probability -> Text,
        /// The free-form `application_data` (JSON text).
        application_data -> Nullable<Text>,
        /// Principal approved and disbursed.
        approved_amount -> Nullable<Text>,
        /// Approved annual rate (percent).
        approved_rate -> Nullable<Text>,
        /// Term of the approved loan.
        term_months -> Nullable<BigInt>,
        /// The regular installment.
        monthly_payment -> Nullable<Text>,
        /// Principal still owed.
        outstanding_principal -> Nullable<Text>,
        /// Sum of the payments made.
        total_paid -> Nullable<Text>,
        /// Staff's reason.
        decision_reason -> Nullable<Text>,
        /// The staff member who decided.
        decided_by -> Nullable<Text>,
        /// When decided.
        decided_at -> Nullable<Timestamp>,
        /// When disbursed (at approval).
        disbursed_at -> Nullable<Timestamp>,
        /// When the applicant cancelled.
        cancelled_at -> Nullable<Timestamp>,
        /// When the closing payment was made.
        paid_off_at -> Nullable<Timestamp>,
        /// Bumped by every change: the row lock that serialises a loan's changes.
        revision -> BigInt,
        /// When submitted.
        submitted_at -> Timestamp,
        /// Last change.
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// Payments made on loans.
    loan_payments (id) {
        /// `lp_…`.
        id -> Text,
        /// The loan paid.
        loan_id -> Text,
        /// 1, 2, … within the loan (the order they apply in).
        sequence -> BigInt,
        /// Amount paid.
        amount -> Text,
        /// Part that repaid principal.
        principal_portion -> Text,
        /// Part that paid interest.
        interest_portion -> Text,
        /// Made on or before the current installment's due date.
        on_time -> Bool,
        /// When.
        paid_at -> Timestamp,
    }
}

diesel::table! {
    /// The last application number given out per year.
    loan_application_counters (year) {
        /// The year.
        year -> BigInt,
        /// The last number used.
        last_number -> BigInt,
    }
}

diesel::table! {
    /// Credit events written by the loan flows (seed 003's credit history).
    credit_events (id) {
        /// `ch_…`.
        id -> Text,
        /// Whose history.
        user_id -> Text,
        /// The loan concerned.
        loan_id -> Nullable<Text>,
        /// Kind of event.
        event_type -> Text,
        /// The money involved.
        amount -> Nullable<Text>,
        /// positive, negative or neutral.
        impact -> Text,
        /// The event in words.
        description -> Text,
        /// When it happened.
        event_date -> Timestamp,
    }
}

diesel::table! {
    /// Calculated credit scores.
    credit_scores (id) {
        /// `cs_…`.
        id -> Text,
        /// Whose score.
        user_id -> Text,
        /// 300–850.
        score -> BigInt,
        /// The rating band.
        rating -> Text,
        /// Scorecard version.
        model_version -> Text,
        /// The address recorded with the score.
        wallet_address -> Nullable<Text>,
        /// The components (JSON).
        components -> Text,
        /// The factors (JSON).
        factors -> Text,
        /// The recommendations (JSON).
        recommendations -> Text,
        /// When calculated.
        calculated_at -> Timestamp,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(refresh_tokens -> sessions (session_id));
diesel::joinable!(one_time_tokens -> users (user_id));
diesel::joinable!(recovery_codes -> users (user_id));
diesel::joinable!(client_keys -> users (user_id));
diesel::joinable!(client_refresh_tokens -> client_keys (client_key_id));
diesel::joinable!(events -> users (user_id));
diesel::joinable!(trading_trades -> trading_orders (order_id));
diesel::joinable!(loans -> users (user_id));
diesel::joinable!(loan_payments -> loans (loan_id));
diesel::allow_tables_to_appear_in_same_query!(
    users,
    sessions,
    refresh_tokens,
    one_time_tokens,
    recovery_codes,
    client_keys,
    client_refresh_tokens,
    events,
    trading_wallets,
    trading_balances,
    trading_orders,
    trading_trades,
    idempotency_keys,
    loans,
    loan_payments,
    loan_application_counters,
    credit_events,
    credit_scores,
);
