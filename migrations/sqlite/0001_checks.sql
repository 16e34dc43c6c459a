-- Campaigns, checks, findings and idempotency records.
-- Portable types only (TEXT, BIGINT): the PostgreSQL schema is the same text, so both backends
-- hold the same data with the same constraints. Times are milliseconds since the Unix epoch.
CREATE TABLE campaigns (
    id                TEXT PRIMARY KEY,
    name              TEXT,
    platform          TEXT,
    definition        TEXT NOT NULL,
    window_start      BIGINT NOT NULL,
    window_end        BIGINT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    latest_check_id   TEXT,
    latest_verdict    TEXT,
    latest_checked_at BIGINT
);
CREATE INDEX campaigns_window ON campaigns (window_end, window_start);

CREATE TABLE checks (
    id          TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    phase       TEXT NOT NULL CHECK (phase IN ('pre_send', 'live', 'manual')),
    mode        TEXT NOT NULL CHECK (mode IN ('enforce', 'dry_run')),
    verdict     TEXT NOT NULL CHECK (verdict IN ('pass', 'flag', 'block')),
    send_at     BIGINT NOT NULL,
    checked_at  BIGINT NOT NULL,
    result      TEXT NOT NULL
);
CREATE INDEX checks_campaign ON checks (campaign_id, checked_at);

CREATE TABLE findings (
    id              TEXT PRIMARY KEY,
    check_id        TEXT NOT NULL REFERENCES checks (id),
    position        BIGINT NOT NULL,
    campaign_id     TEXT NOT NULL REFERENCES campaigns (id),
    offer_id        TEXT NOT NULL,
    rule            TEXT NOT NULL,
    severity        TEXT NOT NULL CHECK (severity IN ('flag', 'block')),
    target_sku      TEXT,
    target_location TEXT,
    message         TEXT NOT NULL,
    evidence        TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX findings_check ON findings (check_id);
CREATE INDEX findings_campaign ON findings (campaign_id, rule);

-- A retried webhook (same webhook-id or Idempotency-Key) gets the first answer back. The
-- primary key is what makes that hold under concurrent deliveries.
CREATE TABLE idempotency_keys (
    key          TEXT PRIMARY KEY,
    request_hash TEXT NOT NULL,
    check_id     TEXT NOT NULL REFERENCES checks (id),
    status       BIGINT NOT NULL,
    body         TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
