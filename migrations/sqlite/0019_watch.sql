-- Campaigns watched where they are scheduled (`[[platforms]]`, the `watch` job): what the
-- platform's list said of each at the last tick, and when its content was last read and what
-- it was (a hash over every variation), so a tick reads again only what may have changed.
CREATE TABLE watched_campaigns (
    platform     TEXT NOT NULL,
    campaign_id  TEXT NOT NULL,
    send_time    BIGINT NOT NULL,
    earliest_at  BIGINT NOT NULL,
    marker       TEXT,
    content_hash TEXT,
    fetched_at   BIGINT,
    check_id     TEXT,
    seen_at      BIGINT NOT NULL,
    PRIMARY KEY (platform, campaign_id)
);

-- What was done about a scheduled campaign that would break a promise: an alert, or taking it
-- off the schedule. One row per campaign, content version and kind, ever — the unique key is
-- what keeps two instances (or a retried tick) from acting twice. A row is claimed `pending`
-- before the platform is called and settles as `unscheduled`, `alerted` or `failed`.
CREATE TABLE campaign_actions (
    id          TEXT PRIMARY KEY,
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    platform    TEXT NOT NULL,
    version     TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('alert', 'unschedule')),
    action      TEXT NOT NULL CHECK (action IN ('pending', 'unscheduled', 'alerted', 'failed')),
    check_id    TEXT NOT NULL,
    send_time   BIGINT NOT NULL,
    detail      TEXT,
    at          BIGINT NOT NULL,
    UNIQUE (campaign_id, version, kind)
);
CREATE INDEX campaign_actions_campaign ON campaign_actions (campaign_id, at);

-- Alerts about an action too (`campaign.blocked_scheduled`, `campaign.unscheduled`): an alert
-- is about exactly one finding, one answer or one action. The table is rebuilt to relax its
-- CHECK (the same statements on both backends, as 0008).
CREATE TABLE alerts_next (
    id              TEXT PRIMARY KEY,
    finding_id      TEXT REFERENCES findings (id),
    invitation_id   TEXT REFERENCES invitations (id),
    action_id       TEXT REFERENCES campaign_actions (id),
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
    UNIQUE (action_id, channel, target),
    CHECK ((CASE WHEN finding_id IS NULL THEN 0 ELSE 1 END)
         + (CASE WHEN invitation_id IS NULL THEN 0 ELSE 1 END)
         + (CASE WHEN action_id IS NULL THEN 0 ELSE 1 END) = 1)
);
INSERT INTO alerts_next (id, finding_id, invitation_id, campaign_id, channel, target, status,
                         attempts, next_attempt_at, last_error, claimed_by, created_at, sent_at)
SELECT id, finding_id, invitation_id, campaign_id, channel, target, status, attempts,
       next_attempt_at, last_error, claimed_by, created_at, sent_at FROM alerts;
DROP TABLE alerts;
ALTER TABLE alerts_next RENAME TO alerts;
CREATE INDEX alerts_due ON alerts (status, next_attempt_at, created_at);
CREATE INDEX alerts_campaign ON alerts (campaign_id);
