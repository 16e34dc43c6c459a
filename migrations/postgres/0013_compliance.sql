-- Shopify's mandatory compliance webhooks (POST /v1/compliance/shopify), one row per delivery
-- (the id is X-Shopify-Webhook-Id, so a redelivery is the same row). A data request keeps the
-- customer's address until a reviewer has handed over the access document (or the person is
-- erased); a redaction keeps no address, only what it erased.
CREATE TABLE compliance_requests (
    id              TEXT PRIMARY KEY,
    topic           TEXT NOT NULL CHECK (topic IN ('customers/data_request', 'customers/redact', 'shop/redact')),
    shop_domain     TEXT NOT NULL,
    customer_email  TEXT,
    data_request_id TEXT,
    orders          TEXT,
    outcome         TEXT NOT NULL,
    received_at     BIGINT NOT NULL
);
CREATE INDEX compliance_requests_topic ON compliance_requests (topic, received_at);
