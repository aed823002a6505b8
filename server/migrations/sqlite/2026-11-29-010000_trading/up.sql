-- Paper trading: one demo wallet per user (its row is the per-user lock every order change
-- takes, so a user's orders apply one at a time), balances per asset, orders, their fills,
-- and idempotency keys. Amounts are exact decimal text (parsed as rust_decimal); the limit
-- price is also kept in ticks so the matcher can select crossed orders in SQL.
CREATE TABLE trading_wallets (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    initial_balance TEXT NOT NULL,
    realized_pnl TEXT NOT NULL,
    revision BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE trading_balances (
    user_id TEXT NOT NULL REFERENCES trading_wallets (user_id) ON DELETE CASCADE,
    asset TEXT NOT NULL,
    free TEXT NOT NULL,
    locked TEXT NOT NULL,
    cost_basis TEXT NOT NULL,
    PRIMARY KEY (user_id, asset)
);

CREATE TABLE trading_orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_order_id TEXT,
    symbol TEXT NOT NULL,
    side TEXT NOT NULL CHECK (side IN ('BUY', 'SELL')),
    order_type TEXT NOT NULL CHECK (order_type IN ('MARKET', 'LIMIT')),
    time_in_force TEXT CHECK (time_in_force IN ('GTC', 'IOC', 'FOK')),
    status TEXT NOT NULL CHECK (status IN ('NEW', 'PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'EXPIRED', 'REJECTED')),
    orig_qty TEXT NOT NULL,
    orig_quote_order_qty TEXT,
    executed_qty TEXT NOT NULL,
    cumulative_quote_qty TEXT NOT NULL,
    price TEXT NOT NULL,
    price_ticks BIGINT NOT NULL,
    fee TEXT NOT NULL,
    fee_asset TEXT NOT NULL,
    locked_amount TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    placed_response TEXT NOT NULL,
    transact_time BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX trading_orders_client_order_id_key ON trading_orders (user_id, client_order_id);
CREATE INDEX trading_orders_user_created ON trading_orders (user_id, created_at, id);
CREATE INDEX trading_orders_open ON trading_orders (symbol, status, price_ticks);

CREATE TABLE trading_trades (
    id TEXT PRIMARY KEY NOT NULL,
    order_id BIGINT NOT NULL REFERENCES trading_orders (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    symbol TEXT NOT NULL,
    side TEXT NOT NULL,
    order_type TEXT NOT NULL,
    quantity TEXT NOT NULL,
    price TEXT NOT NULL,
    quote_qty TEXT NOT NULL,
    fee TEXT NOT NULL,
    fee_asset TEXT NOT NULL,
    is_maker BOOLEAN NOT NULL,
    executed_at TIMESTAMP NOT NULL
);
CREATE INDEX trading_trades_user_executed ON trading_trades (user_id, executed_at, id);

-- Idempotency-Key headers of POSTs: the same key and body returns the first result
-- (resource_id names it); the same key with another body is a 409. Kept 24 hours.
CREATE TABLE idempotency_keys (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    operation TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, operation, idempotency_key)
);
