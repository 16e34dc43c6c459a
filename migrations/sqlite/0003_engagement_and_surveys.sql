-- Engagement events from the platform (POST /v1/events) and SendGrid (POST /v1/events/sendgrid).
-- The id is the sender's event id (SendGrid's prefixed with `sendgrid:`): a redelivered event
-- is the same row.
CREATE TABLE events (
    id          TEXT PRIMARY KEY,
    source      TEXT NOT NULL,
    type        TEXT NOT NULL,
    campaign_id TEXT,
    recipient   TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    url         TEXT,
    order_id    TEXT,
    received_at BIGINT NOT NULL
);
CREATE INDEX events_recipient ON events (recipient, occurred_at);
CREATE INDEX events_campaign ON events (campaign_id, type, recipient);

-- Addresses never to survey (unsubscribes, spam reports, bounces).
CREATE TABLE suppressions (
    address    TEXT PRIMARY KEY,
    reason     TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- One survey invitation per (campaign, recipient), ever: the unique key is what keeps any sweep,
-- retry, restart or second instance from emailing anyone twice.
CREATE TABLE invitations (
    id              TEXT PRIMARY KEY,
    campaign_id     TEXT NOT NULL REFERENCES campaigns (id),
    recipient       TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'unknown')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    claimed_at      BIGINT,
    claimed_by      TEXT,
    sent_at         BIGINT,
    last_error      TEXT,
    score           BIGINT CHECK (score BETWEEN 0 AND 10),
    comment         TEXT,
    answered_at     BIGINT,
    unsubscribed_at BIGINT,
    UNIQUE (campaign_id, recipient)
);
-- Matches the claim's ORDER BY, so taking the next due invitation reads one index entry.
CREATE INDEX invitations_due ON invitations (status, next_attempt_at, created_at, recipient);
CREATE INDEX invitations_recipient ON invitations (recipient, created_at);

-- Secrets the service makes for itself (the survey-link signing key), shared by all instances.
CREATE TABLE app_secrets (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
