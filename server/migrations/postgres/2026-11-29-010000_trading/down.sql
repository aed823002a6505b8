DROP TABLE idempotency_keys;
DROP TABLE trading_trades;
DROP TABLE trading_orders;
DROP TABLE trading_balances;
DROP TABLE trading_wallets;
