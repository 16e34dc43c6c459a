-- no-transaction
-- A check of a campaign scheduled on a platform (issue 29) has phase `scheduled`. PostgreSQL
-- replaces the CHECK constraint in place. SQLite cannot change one, so there `checks` is
-- rebuilt; findings and idempotency records point at it, so foreign keys are off while it is
-- dropped and its copy renamed (SQLite's own procedure), which a transaction cannot do: the
-- SQLite file runs outside the migrator's transaction and holds the rebuild in one of its own.
-- Run again after a crash between its commit and the migrator's record, it rebuilds the same
-- table again.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
DROP TABLE IF EXISTS checks_next;
CREATE TABLE checks_next (
    id                  TEXT PRIMARY KEY,
    campaign_id         TEXT NOT NULL REFERENCES campaigns (id),
    phase               TEXT NOT NULL CHECK (phase IN ('pre_send', 'live', 'manual', 'scheduled')),
    mode                TEXT NOT NULL CHECK (mode IN ('enforce', 'dry_run')),
    verdict             TEXT NOT NULL CHECK (verdict IN ('pass', 'flag', 'block')),
    send_at             BIGINT NOT NULL,
    checked_at          BIGINT NOT NULL,
    result              TEXT NOT NULL,
    evidence_expired_at BIGINT
);
INSERT INTO checks_next (id, campaign_id, phase, mode, verdict, send_at, checked_at, result,
                         evidence_expired_at)
SELECT id, campaign_id, phase, mode, verdict, send_at, checked_at, result, evidence_expired_at
FROM checks;
DROP TABLE checks;
ALTER TABLE checks_next RENAME TO checks;
CREATE INDEX checks_campaign ON checks (campaign_id, checked_at);
COMMIT;
PRAGMA foreign_keys = ON;
