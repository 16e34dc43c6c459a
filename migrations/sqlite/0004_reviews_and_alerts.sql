-- Analyst reviews of findings, and alerts about new block findings.

-- A finding's review state: open, acknowledged, overridden or resolved. A later check's finding
-- about the same thing (same fingerprint) inherits acknowledged/overridden; after resolved it
-- is open and new again.
ALTER TABLE findings ADD COLUMN review_state TEXT NOT NULL DEFAULT 'open';

-- Every review is kept: who, when, what, and why.
CREATE TABLE reviews (
    id          TEXT PRIMARY KEY,
    finding_id  TEXT NOT NULL REFERENCES findings (id),
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    fingerprint TEXT NOT NULL,
    action      TEXT NOT NULL CHECK (action IN ('acknowledge', 'override', 'resolve')),
    note        TEXT,
    reviewer    TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    CHECK (action <> 'override' OR (note IS NOT NULL AND note <> ''))
);
CREATE INDEX reviews_campaign ON reviews (campaign_id, fingerprint, created_at);

-- One alert per new block finding and destination, ever: the unique key is what keeps a retry,
-- a restart or a second instance from alerting twice.
CREATE TABLE alerts (
    id              TEXT PRIMARY KEY,
    finding_id      TEXT NOT NULL REFERENCES findings (id),
    campaign_id     TEXT NOT NULL REFERENCES campaigns (id),
    channel         TEXT NOT NULL CHECK (channel IN ('email', 'webhook')),
    target          TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'unknown')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error      TEXT,
    claimed_by      TEXT,
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT,
    UNIQUE (finding_id, channel, target)
);
CREATE INDEX alerts_due ON alerts (status, next_attempt_at, created_at);
CREATE INDEX alerts_campaign ON alerts (campaign_id);

-- The analyst list: newest first, cursor by (created_at, id).
CREATE INDEX campaigns_created ON campaigns (created_at, id);
