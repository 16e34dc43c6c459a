-- Mailgun's one-time webhook tokens: a token is marked used in the transaction that stores its
-- event, so a token seen again with another event is a replay (the same event again is
-- Mailgun's own redelivery, a duplicate). Kept past the staleness window only: a token older
-- than that is refused as stale anyway.
CREATE TABLE webhook_tokens (
    token      TEXT PRIMARY KEY,
    event_id   TEXT NOT NULL,
    keep_until BIGINT NOT NULL
);
CREATE INDEX webhook_tokens_keep ON webhook_tokens (keep_until);
