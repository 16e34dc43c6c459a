-- Changes a source pushes in (Shopify's inventory and location webhooks, `domain::pushed`):
-- each delivery once (`source_push_deliveries`, by X-Shopify-Event-Id, else
-- X-Shopify-Webhook-Id, with what became of it), the latest change time held per subject (an
-- item at a location, or a location), so an older delivery is ignored (`source_push_held`),
-- and the keys changed whose live campaigns wait to be checked again (`source_changes`:
-- claimed by one instance at a time, deleted once checked).
CREATE TABLE source_push_deliveries (
    id          TEXT PRIMARY KEY,
    topic       TEXT NOT NULL,
    outcome     TEXT NOT NULL CHECK (outcome IN ('applied', 'stale')),
    received_at BIGINT NOT NULL
);
CREATE INDEX source_push_deliveries_received ON source_push_deliveries (received_at);

CREATE TABLE source_push_held (
    subject    TEXT PRIMARY KEY,
    updated_at BIGINT NOT NULL
);

CREATE TABLE source_changes (
    id            TEXT PRIMARY KEY,
    sku           TEXT,
    location      TEXT NOT NULL,
    changed_at    BIGINT NOT NULL,
    claim         TEXT,
    claimed_until BIGINT
);
CREATE INDEX source_changes_changed ON source_changes (changed_at);
CREATE INDEX source_changes_claim ON source_changes (claim);
