-- The complaint guard (`domain::complaint`): each spam complaint counted against survey mail,
-- once (by the event that reported it), with the invitation it is about; and each pause the
-- complaints caused, with who resumed it, when and why (the audit of resumes). At most one
-- pause is open at a time: every instance may try to open one, one succeeds.
CREATE TABLE survey_complaints (
    event_id      TEXT PRIMARY KEY,
    invitation_id TEXT NOT NULL,
    source        TEXT NOT NULL,
    occurred_at   BIGINT NOT NULL,
    received_at   BIGINT NOT NULL
);
CREATE INDEX survey_complaints_at ON survey_complaints (occurred_at);

CREATE TABLE survey_pauses (
    id         TEXT PRIMARY KEY,
    reason     TEXT NOT NULL,
    sent       BIGINT NOT NULL,
    complaints BIGINT NOT NULL,
    paused_at  BIGINT NOT NULL,
    resumed_at BIGINT,
    resumed_by TEXT,
    note       TEXT
);
CREATE UNIQUE INDEX survey_pauses_open ON survey_pauses ((resumed_at IS NULL)) WHERE resumed_at IS NULL;
CREATE INDEX survey_pauses_resumed ON survey_pauses (resumed_at);

-- Alerts about a pause too (`surveys.paused`), which is about no campaign: an alert is about
-- exactly one finding, one answer, one action or one pause; and alerts to Slack (channel
-- `slack`, target `slack`: the webhook's URL is a secret, kept in the configuration only). The
-- table is rebuilt to relax its CHECKs and its campaign (the same statements on both backends,
-- as 0019).
CREATE TABLE alerts_next (
    id              TEXT PRIMARY KEY,
    finding_id      TEXT REFERENCES findings (id),
    invitation_id   TEXT REFERENCES invitations (id),
    action_id       TEXT REFERENCES campaign_actions (id),
    pause_id        TEXT REFERENCES survey_pauses (id),
    campaign_id     TEXT REFERENCES campaigns (id),
    channel         TEXT NOT NULL CHECK (channel IN ('email', 'webhook', 'slack')),
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
    UNIQUE (pause_id, channel, target),
    CHECK ((CASE WHEN finding_id IS NULL THEN 0 ELSE 1 END)
         + (CASE WHEN invitation_id IS NULL THEN 0 ELSE 1 END)
         + (CASE WHEN action_id IS NULL THEN 0 ELSE 1 END)
         + (CASE WHEN pause_id IS NULL THEN 0 ELSE 1 END) = 1),
    CHECK (pause_id IS NOT NULL OR campaign_id IS NOT NULL)
);
INSERT INTO alerts_next (id, finding_id, invitation_id, action_id, campaign_id, channel, target,
                         status, attempts, next_attempt_at, last_error, claimed_by, created_at,
                         sent_at)
SELECT id, finding_id, invitation_id, action_id, campaign_id, channel, target, status, attempts,
       next_attempt_at, last_error, claimed_by, created_at, sent_at FROM alerts;
DROP TABLE alerts;
ALTER TABLE alerts_next RENAME TO alerts;
CREATE INDEX alerts_due ON alerts (status, next_attempt_at, created_at);
CREATE INDEX alerts_campaign ON alerts (campaign_id);
