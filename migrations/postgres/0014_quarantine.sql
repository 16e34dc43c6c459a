-- Events a provider endpoint could not take (a malformed element, or a signed body that does not
-- parse at all), kept as they came so one odd event never stalls a stream: the raw JSON, why,
-- where (JSON pointer), which endpoint, who delivered it. Reviewers list, replay or drop them;
-- the payloads are personal data, so they expire after [events] quarantine_days and go with an
-- erasure.
CREATE TABLE quarantine (
    id          TEXT PRIMARY KEY,
    endpoint    TEXT NOT NULL,
    payload     TEXT NOT NULL,
    reason      TEXT NOT NULL,
    pointer     TEXT NOT NULL,
    credential  TEXT NOT NULL,
    received_at BIGINT NOT NULL
);
CREATE INDEX quarantine_received ON quarantine (received_at, id);
