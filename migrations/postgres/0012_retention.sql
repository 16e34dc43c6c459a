-- Retention ([retention]): a check whose evidence was removed (its findings' evidence and the
-- evidence in its stored result set to null) is marked, so the daily job passes it over.
ALTER TABLE checks ADD COLUMN evidence_expired_at BIGINT;
