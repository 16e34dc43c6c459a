-- Exemptions (`domain::exemption`): findings known and accepted for a while. The scope's parts
-- left out match anything; one naming no campaign lasts at most 30 days. Never deleted: a
-- revoked one keeps who revoked it and when, beside who made it.
CREATE TABLE exemptions (
    id          TEXT PRIMARY KEY,
    campaign_id TEXT,
    offer_id    TEXT,
    rule        TEXT,
    location    TEXT,
    sku         TEXT,
    category    TEXT NOT NULL CHECK (category IN ('waiver', 'mitigated')),
    reason      TEXT NOT NULL,
    ticket      TEXT,
    expires_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_by  TEXT,
    revoked_at  BIGINT
);
CREATE INDEX exemptions_expires ON exemptions (expires_at);

-- The exemption a finding was under when its check ran (`{id, category, expires_at}` as JSON):
-- such a finding counts toward no verdict, alerts nobody and is not open.
ALTER TABLE findings ADD COLUMN exemption TEXT;
