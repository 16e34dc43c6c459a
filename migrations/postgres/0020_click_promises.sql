-- A click names the promise it reached for (issue 30): the location its URL names by the
-- `[promises]` templates, and the sku for an item link — set at ingest, and again for stored
-- clicks by `promiseguard clicks rematch` after the templates change.
ALTER TABLE events ADD COLUMN location TEXT;
ALTER TABLE events ADD COLUMN sku TEXT;
