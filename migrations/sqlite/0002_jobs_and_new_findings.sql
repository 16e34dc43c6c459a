-- Scheduled jobs: one row per job. A tick is run by the instance whose UPDATE moves last_tick
-- forward while no live lease is held, so each tick runs once across instances and a job never
-- overlaps itself; a lease left by a dead instance expires and the next tick runs elsewhere.
CREATE TABLE job_leases (
    job        TEXT PRIMARY KEY,
    holder     TEXT,
    expires_at BIGINT NOT NULL DEFAULT 0,
    last_tick  BIGINT NOT NULL DEFAULT 0
);

-- What a finding is about (offer, rule, target), to tell findings that are new since the
-- campaign's previous check from ones that were already there.
ALTER TABLE findings ADD COLUMN fingerprint TEXT NOT NULL DEFAULT '';
ALTER TABLE findings ADD COLUMN is_new BIGINT NOT NULL DEFAULT 1;
CREATE INDEX findings_fingerprint ON findings (campaign_id, fingerprint);
