-- A click's judgement stored as a small integer — 0 unknown, 1 broken, 2 kept
-- (`domain::judgement::Judgement::code`) — instead of its name: every click carries one, and
-- in a SQLite record a 0 or a 1 takes no byte beyond the header's (bench/events: the names
-- cost about 3 % of the NDJSON ingest rate). The same statements on both backends.
ALTER TABLE events ADD COLUMN judged BIGINT CHECK (judged IN (0, 1, 2));
UPDATE events SET judged = CASE judgement WHEN 'unknown' THEN 0 WHEN 'broken' THEN 1 WHEN 'kept' THEN 2 END
WHERE judgement IS NOT NULL;
ALTER TABLE events DROP COLUMN judgement;
ALTER TABLE events RENAME COLUMN judged TO judgement;
