-- ingest_duplicate_counts: how many flagged incoming events (_cai_flagged) are duplicates.
-- Grain: one row. Parameters: none.
SELECT
    count(*) FILTER (WHERE dup_in_file AND NOT dup_of_existing) AS n_dup_in_file,
    count(*) FILTER (WHERE dup_of_existing)                     AS n_dup_of_existing
FROM _cai_flagged;
