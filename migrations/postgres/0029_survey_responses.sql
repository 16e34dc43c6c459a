-- Survey response webhooks (`[[surveys.webhooks]]`, `domain::response`): each answer or
-- unsubscribe that a destination wants, written in the transaction that records it — its
-- event (`survey_response.created`, `.updated`, `survey.unsubscribed`) and the body every
-- destination receives, kept until each has settled it (then `body` is cleared: it names the
-- person) — and delivered through the alert outbox: an alert may now be about a response. The
-- alerts table is rebuilt to widen its CHECK (the same statements on both backends, as 0027;
-- under another name, for PostgreSQL kept the index names of 0027's `alerts_next`).
CREATE TABLE survey_responses (
    id            TEXT PRIMARY KEY,
    invitation_id TEXT NOT NULL REFERENCES invitations (id),
    type          TEXT NOT NULL CHECK (type IN ('survey_response.created', 'survey_response.updated', 'survey.unsubscribed')),
    occurred_at   BIGINT NOT NULL,
    body          TEXT
);
CREATE INDEX survey_responses_invitation ON survey_responses (invitation_id);

CREATE TABLE alerts_v29 (
    id              TEXT PRIMARY KEY,
    finding_id      TEXT REFERENCES findings (id),
    invitation_id   TEXT REFERENCES invitations (id),
    action_id       TEXT REFERENCES campaign_actions (id),
    pause_id        TEXT REFERENCES survey_pauses (id),
    response_id     TEXT REFERENCES survey_responses (id),
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
    UNIQUE (response_id, channel, target),
    CHECK ((CASE WHEN finding_id IS NULL THEN 0 ELSE 1 END)
         + (CASE WHEN invitation_id IS NULL THEN 0 ELSE 1 END)
         + (CASE WHEN action_id IS NULL THEN 0 ELSE 1 END)
         + (CASE WHEN pause_id IS NULL THEN 0 ELSE 1 END)
         + (CASE WHEN response_id IS NULL THEN 0 ELSE 1 END) = 1),
    CHECK (pause_id IS NOT NULL OR campaign_id IS NOT NULL)
);
INSERT INTO alerts_v29 (id, finding_id, invitation_id, action_id, pause_id, campaign_id, channel,
                         target, status, attempts, next_attempt_at, last_error, claimed_by,
                         created_at, sent_at)
SELECT id, finding_id, invitation_id, action_id, pause_id, campaign_id, channel, target, status,
       attempts, next_attempt_at, last_error, claimed_by, created_at, sent_at FROM alerts;
DROP TABLE alerts;
ALTER TABLE alerts_v29 RENAME TO alerts;
CREATE INDEX alerts_due ON alerts (status, next_attempt_at, created_at);
CREATE INDEX alerts_campaign ON alerts (campaign_id);
