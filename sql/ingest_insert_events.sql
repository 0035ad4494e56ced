-- ingest_insert_events: appends the flagged incoming events (_cai_flagged) to `events`,
-- skipping duplicates when $dedupe is true. Extra mapped columns are matched by name.
-- Grain: one row per event written. Parameters: $dedupe (BOOLEAN).
INSERT INTO events BY NAME
SELECT * EXCLUDE (ts_raw, value_raw, _row, dup_in_file, dup_of_existing)
FROM _cai_flagged
WHERE NOT $dedupe OR NOT (dup_in_file OR dup_of_existing)
ORDER BY _row;
