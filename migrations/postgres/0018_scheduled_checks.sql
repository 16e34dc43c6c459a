-- A check of a campaign scheduled on a platform (issue 29) has phase `scheduled`. PostgreSQL
-- replaces the CHECK constraint in place. SQLite cannot change one, so there `checks` is
-- rebuilt; findings and idempotency records point at it, so foreign keys are off while it is
-- dropped and its copy renamed (SQLite's own procedure), which a transaction cannot do: the
-- SQLite file runs outside the migrator's transaction and holds the rebuild in one of its own.
-- Run again after a crash between its commit and the migrator's record, it rebuilds the same
-- table again.
ALTER TABLE checks DROP CONSTRAINT checks_phase_check;
ALTER TABLE checks ADD CONSTRAINT checks_phase_check
    CHECK (phase IN ('pre_send', 'live', 'manual', 'scheduled'));
