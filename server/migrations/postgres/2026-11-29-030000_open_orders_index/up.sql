-- A user's open orders (status NEW) by index: the matcher and every trading read look them
-- up, and without this the lookup scanned all of the user's orders (bench/README.md).
CREATE INDEX trading_orders_user_status ON trading_orders (user_id, status, id);
