-- ingest_insert_events: appends the incoming events (_cai_incoming) to `events` in file order,
-- skipping the duplicates listed in _cai_duplicates when $dedupe is true. Extra mapped columns
-- are matched by name.
-- Grain: one row per event written. Parameters: $dedupe (BOOLEAN).
INSERT INTO events BY NAME
SELECT * EXCLUDE (ts_raw, value_raw, _row)
FROM _cai_incoming
WHERE NOT $dedupe OR _row NOT IN (SELECT _row FROM _cai_duplicates);
