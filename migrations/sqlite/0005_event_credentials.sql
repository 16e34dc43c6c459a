-- Which credential delivered each event: the name of the `[events] tokens` entry, `signed`
-- (Standard Webhooks or SendGrid's signature), or `unauthenticated` (a door with no credential
-- configured, on loopback or with allow_unauthenticated). Events stored before this column
-- existed came through doors that asked for none.
ALTER TABLE events ADD COLUMN credential TEXT NOT NULL DEFAULT 'unauthenticated';
