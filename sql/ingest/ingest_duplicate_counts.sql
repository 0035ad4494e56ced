-- ingest_duplicate_counts: how many incoming events are duplicates (_cai_duplicates).
-- Grain: one row. Parameters: none.
SELECT
    count(*) FILTER (WHERE in_file AND NOT of_existing) AS n_dup_in_file,
    count(*) FILTER (WHERE of_existing)                 AS n_dup_of_existing
FROM _cai_duplicates;
