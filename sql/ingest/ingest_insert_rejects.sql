-- ingest_insert_rejects: appends the rejected rows (_cai_rejected) with their raw rows
-- (_cai_rejected_raw) to cai_ingest_rejects, in file order.
-- Grain: one row per rejected row. Parameters: $load_id, $ingested_at (naive UTC), $file, $target.
INSERT INTO cai_ingest_rejects BY NAME
SELECT
    CAST($load_id AS VARCHAR)         AS load_id,
    CAST($ingested_at AS TIMESTAMP)   AS ingested_at,
    CAST($file AS VARCHAR)            AS file,
    CAST($target AS VARCHAR)          AS target,
    r._row                            AS row_number,
    r.reason,
    r.reasons,
    w.raw_row
FROM _cai_rejected AS r
LEFT JOIN _cai_rejected_raw AS w USING (_row)
ORDER BY r._row;
