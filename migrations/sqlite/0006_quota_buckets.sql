-- One request bucket per upstream source, shared by every instance on this database (GCRA):
-- `tat` is the theoretical arrival time of the source's next request and `paused_until` the end
-- of a pause a 429 asked for, both in Unix milliseconds. A slot is taken by one UPDATE.
CREATE TABLE quota_buckets (
    source       TEXT PRIMARY KEY,
    tat          BIGINT NOT NULL DEFAULT 0,
    paused_until BIGINT NOT NULL DEFAULT 0
);
