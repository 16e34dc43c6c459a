-- Promises judged per click (issue 30).

-- What each check covered (`domain::judgement::Coverage` as JSON): a click is kept when the
-- check that speaks for it covered what it reached for without a finding. NULL for checks
-- stored before: their findings still break a click, nothing is known kept.
ALTER TABLE checks ADD COLUMN covered TEXT;

-- Each click's judgement at ingest, from stored checks only; later reviews never change it.
ALTER TABLE events ADD COLUMN judgement TEXT CHECK (judgement IN ('broken', 'kept', 'unknown'));

-- What the person's clicks met, as the invitation was queued: an answer's reason read against it.
ALTER TABLE invitations ADD COLUMN promise_state TEXT CHECK (promise_state IN ('broken', 'kept', 'unknown'));

-- One (campaign, recipient) once the attribution window after their last click closed: their
-- clicks' judgements, whether they converted, and their answer (copied from the invitation).
-- The address is kept only while the events are (NULL once erased or past retention), so
-- erasure and retention change no figure built from here.
CREATE TABLE clickers (
    id             TEXT PRIMARY KEY,
    campaign_id    TEXT NOT NULL REFERENCES campaigns (id),
    recipient      TEXT,
    first_click_at BIGINT NOT NULL,
    last_click_at  BIGINT NOT NULL,
    clicks         BIGINT NOT NULL,
    broken_clicks  BIGINT NOT NULL,
    kept_clicks    BIGINT NOT NULL,
    judgement      TEXT NOT NULL CHECK (judgement IN ('broken', 'kept', 'unknown')),
    converted      BIGINT NOT NULL CHECK (converted IN (0, 1)),
    invitation_id  TEXT REFERENCES invitations (id),
    score          BIGINT CHECK (score BETWEEN 0 AND 10),
    reason         TEXT,
    decided_at     BIGINT NOT NULL,
    UNIQUE (campaign_id, recipient)
);
CREATE INDEX clickers_invitation ON clickers (invitation_id);
CREATE INDEX clickers_last_click ON clickers (last_click_at);

-- A clicker's clicks per branch (`kind` location: every click naming it, item links included)
-- and per item (`kind` item: the sku at any branch), with the clicker's conversion and answer
-- copied beside them, so the per-branch figures read this table alone.
CREATE TABLE clicker_promises (
    clicker_id     TEXT NOT NULL REFERENCES clickers (id),
    kind           TEXT NOT NULL CHECK (kind IN ('location', 'item')),
    target         TEXT NOT NULL,
    campaign_id    TEXT NOT NULL,
    clicks         BIGINT NOT NULL,
    broken_clicks  BIGINT NOT NULL,
    first_click_at BIGINT NOT NULL,
    converted      BIGINT NOT NULL CHECK (converted IN (0, 1)),
    score          BIGINT CHECK (score BETWEEN 0 AND 10),
    reason         TEXT,
    PRIMARY KEY (clicker_id, kind, target)
);
-- The per-branch figures: in (kind, target, score, reason) order, every column they read in
-- the index (the table itself is not read, nothing is sorted).
CREATE INDEX clicker_promises_figures ON clicker_promises
    (kind, target, score, reason, first_click_at, campaign_id, converted, clicks, broken_clicks);
