-- Credit and loans: loan applications and loans (one row follows an application from
-- submission to payoff; its `revision` is the row lock every change takes), their payments,
-- the per-year counter behind application numbers, the credit events the loan flows write,
-- and calculated credit scores. Amounts and rates are exact decimal text.
CREATE TABLE loans (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    application_number TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('submitted', 'approved', 'rejected', 'cancelled', 'active', 'paid_off')),
    loan_type TEXT NOT NULL CHECK (loan_type IN ('personal', 'mortgage', 'auto', 'business')),
    requested_amount TEXT NOT NULL,
    requested_term_months BIGINT NOT NULL,
    requested_rate TEXT,
    credit_score_at_application BIGINT NOT NULL,
    approval_probability TEXT NOT NULL,
    application_data TEXT,
    approved_amount TEXT,
    approved_rate TEXT,
    term_months BIGINT,
    monthly_payment TEXT,
    outstanding_principal TEXT,
    total_paid TEXT,
    decision_reason TEXT,
    decided_by TEXT,
    decided_at TIMESTAMP,
    disbursed_at TIMESTAMP,
    cancelled_at TIMESTAMP,
    paid_off_at TIMESTAMP,
    revision BIGINT NOT NULL DEFAULT 0,
    submitted_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX loans_application_number_key ON loans (application_number);
CREATE INDEX loans_user_submitted ON loans (user_id, submitted_at, id);

CREATE TABLE loan_payments (
    id TEXT PRIMARY KEY NOT NULL,
    loan_id TEXT NOT NULL REFERENCES loans (id) ON DELETE CASCADE,
    sequence BIGINT NOT NULL,
    amount TEXT NOT NULL,
    principal_portion TEXT NOT NULL,
    interest_portion TEXT NOT NULL,
    on_time BOOLEAN NOT NULL,
    paid_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX loan_payments_loan_sequence ON loan_payments (loan_id, sequence);

-- The last application number given out per year (`LA-<year>-<6 digits>`).
CREATE TABLE loan_application_counters (
    year BIGINT PRIMARY KEY NOT NULL,
    last_number BIGINT NOT NULL
);

CREATE TABLE credit_events (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    loan_id TEXT,
    event_type TEXT NOT NULL CHECK (event_type IN ('credit_inquiry', 'loan_application_cancelled', 'loan_rejected', 'loan_disbursed', 'loan_payment', 'loan_paid_off')),
    amount TEXT,
    impact TEXT NOT NULL CHECK (impact IN ('positive', 'negative', 'neutral')),
    description TEXT NOT NULL,
    event_date TIMESTAMP NOT NULL
);
CREATE INDEX credit_events_user_date ON credit_events (user_id, event_date, id);

-- Calculated scores; the latest per user is the one reused and shown on the profile.
-- `components`, `factors` and `recommendations` are the scorecard's JSON as answered.
CREATE TABLE credit_scores (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    score BIGINT NOT NULL,
    rating TEXT NOT NULL,
    model_version TEXT NOT NULL,
    wallet_address TEXT,
    components TEXT NOT NULL,
    factors TEXT NOT NULL,
    recommendations TEXT NOT NULL,
    calculated_at TIMESTAMP NOT NULL
);
CREATE INDEX credit_scores_user_calculated ON credit_scores (user_id, calculated_at);

-- Retried POSTs of the loans group answer with the first response, kept here.
ALTER TABLE idempotency_keys ADD COLUMN response TEXT;
