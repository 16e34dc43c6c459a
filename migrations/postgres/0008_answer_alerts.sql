-- Alerts about survey answers too: a detractor on a campaign that broke a promise is one
-- alert per destination, ever (unique per invitation), like a new block finding. An alert is
-- about exactly one finding or one answer. SQLite cannot drop a NOT NULL, so the table is
-- rebuilt (the same statements on both backends).
CREATE TABLE alerts_next (
    id              TEXT PRIMARY KEY,
    finding_id      TEXT REFERENCES findings (id),
    invitation_id   TEXT REFERENCES invitations (id),
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
    UNIQUE (finding_id, channel, target),
    UNIQUE (invitation_id, channel, target),
    CHECK ((finding_id IS NULL) <> (invitation_id IS NULL))
);
INSERT INTO alerts_next (id, finding_id, campaign_id, channel, target, status, attempts,
                         next_attempt_at, last_error, claimed_by, created_at, sent_at)
SELECT id, finding_id, campaign_id, channel, target, status, attempts, next_attempt_at,
       last_error, claimed_by, created_at, sent_at FROM alerts;
DROP TABLE alerts;
ALTER TABLE alerts_next RENAME TO alerts;
CREATE INDEX alerts_due ON alerts (status, next_attempt_at, created_at);
CREATE INDEX alerts_campaign ON alerts (campaign_id);
