-- Data migrations done in Rust after the schema's (an address is folded by Unicode case
-- folding, which SQLite's lower() cannot do): each runs once, recorded here in the transaction
-- that carries it out.
CREATE TABLE data_migrations (
    name       TEXT PRIMARY KEY,
    applied_at BIGINT NOT NULL
);
