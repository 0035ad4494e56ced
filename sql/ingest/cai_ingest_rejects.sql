-- cai_ingest_rejects: the rows `cai ingest --bad-rows reject` kept out of `events` (or `profiles`),
-- created on the first such ingest; a failed ingest leaves none (same transaction).
-- Columns: load_id (one id per ingest), ingested_at (naive UTC), file (the path as given),
--          target (events or profiles), row_number (1-based, file order), reason (the first failed
--          check), reasons (every failed check), raw_row (the staged row as JSON text; for XDM the
--          nested record).
-- Grain: one row per rejected row. Parameters: none.
-- Contract: table cai_ingest_rejects.
CREATE TABLE IF NOT EXISTS cai_ingest_rejects (
    load_id     VARCHAR NOT NULL,
    ingested_at TIMESTAMP NOT NULL,
    file        VARCHAR NOT NULL,
    target      VARCHAR NOT NULL,
    row_number  BIGINT NOT NULL,
    reason      VARCHAR NOT NULL,
    reasons     VARCHAR[] NOT NULL,
    raw_row     VARCHAR
);
