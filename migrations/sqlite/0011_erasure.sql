-- Erasure (GDPR article 17). An erased person is never emailed again: a keyed hash of their
-- address (HMAC-SHA256 with app_secrets.erasure_key, hex) stays here, and events for it are
-- refused quietly. The address itself is nowhere.
CREATE TABLE erased_addresses (
    hash      TEXT PRIMARY KEY,
    erased_at BIGINT NOT NULL
);
-- An erased invitation keeps its campaign, status, score and reason (so past NPS does not
-- change), loses its address (`recipient` becomes `erased:{id}`, still unique), comment and
-- errors, and its links open nothing.
ALTER TABLE invitations ADD COLUMN erased_at BIGINT;
