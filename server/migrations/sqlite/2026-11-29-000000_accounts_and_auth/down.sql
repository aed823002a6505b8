DROP TABLE events;
DROP TABLE client_refresh_tokens;
DROP TABLE client_keys;
DROP TABLE recovery_codes;
DROP TABLE one_time_tokens;
DROP TABLE refresh_tokens;
DROP TABLE sessions;
DROP TABLE users;
