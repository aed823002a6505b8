-- Reverts the credit and loans tables.
ALTER TABLE idempotency_keys DROP COLUMN response;
DROP TABLE credit_scores;
DROP TABLE credit_events;
DROP TABLE loan_application_counters;
DROP TABLE loan_payments;
DROP TABLE loans;
