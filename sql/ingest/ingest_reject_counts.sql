-- ingest_reject_counts: how many incoming rows are rejected (_cai_rejected), by their first failed
-- check (the caller orders the checks).
-- Grain: one row per check code. Parameters: none.
SELECT reason, count(*) AS n
FROM _cai_rejected
GROUP BY reason
ORDER BY reason;
