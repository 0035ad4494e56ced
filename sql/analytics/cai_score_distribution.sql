-- cai_score_distribution: the distribution of scores in every successful run, in ten bins of
-- score (0–9, 10–19, …, 90–100; empty bins included), with counts and shares of the run.
-- Grain: one row per run and bin. Parameters: none.
-- Contract: view cai_score_distribution.
CREATE OR REPLACE VIEW cai_score_distribution AS
WITH counts AS (
    SELECT run_id, least(score // 10, 9) AS bin, count(*) AS customers
    FROM cai_scores
    GROUP BY run_id, least(score // 10, 9)
)
SELECT r.model, r.run_id, r.score_date, r.model_version, b.bin,
       b.bin * 10 AS score_from, CASE WHEN b.bin = 9 THEN 100 ELSE b.bin * 10 + 9 END AS score_to,
       coalesce(c.customers, 0) AS customers,
       round(coalesce(c.customers, 0) / r.n_scored, 4) AS share
FROM cai_runs AS r
CROSS JOIN range(10) AS b(bin)
LEFT JOIN counts AS c ON c.run_id = r.run_id AND c.bin = b.bin
WHERE r.status = 'succeeded';
