-- cai_drift: population stability index between two runs of a model (default: its last two) —
-- of the score distribution (ten score bins) and of each feature (the training-time bins of
-- cai_run_feature_bins) — flagged 'stable' below 0.1, 'moderate shift' from 0.1, 'major shift'
-- from 0.25. PSI = Σ (share_b − share_a) · ln(share_b / share_a) over bins, shares floored at
-- 0.0001. A feature whose bins differ between the runs (runs of model versions with different
-- training bins) has psi NULL and flag 'not comparable'.
-- Grain: one row for the score, then one per feature. Parameters: model_name, run_a := NULL,
-- run_b := NULL.
-- Contract: table macro cai_drift.
CREATE OR REPLACE MACRO cai_drift(model_name, run_a := NULL, run_b := NULL) AS TABLE
WITH pair AS (
    SELECT * FROM cai_run_pair(model_name, run_a := run_a, run_b := run_b)
),
run_ids AS (
    SELECT unnest([p.run_a, p.run_b]) AS run_id FROM pair AS p
),
score_bins AS (
    SELECT 'score' AS measure, CAST(least(s.score // 10, 9) AS INTEGER) AS bin, CAST(NULL AS DOUBLE) AS lower,
           CAST(NULL AS DOUBLE) AS upper,
           count(*) FILTER (WHERE s.run_id = p.run_a) AS count_a,
           count(*) FILTER (WHERE s.run_id = p.run_b) AS count_b
    FROM cai_scores AS s
    JOIN run_ids AS i ON i.run_id = s.run_id
    CROSS JOIN pair AS p
    GROUP BY least(s.score // 10, 9)
),
feature_bins AS (
    SELECT f.feature AS measure, f.bin, f.lower, f.upper,
           sum(f.customers) FILTER (WHERE f.run_id = p.run_a) AS count_a,
           sum(f.customers) FILTER (WHERE f.run_id = p.run_b) AS count_b
    FROM cai_run_feature_bins AS f
    JOIN run_ids AS i ON i.run_id = f.run_id
    CROSS JOIN pair AS p
    GROUP BY f.feature, f.bin, f.lower, f.upper
),
bins AS (
    SELECT * FROM score_bins
    UNION ALL
    SELECT * FROM feature_bins
),
shares AS (
    SELECT measure, count_a, count_b,
           greatest(coalesce(count_a, 0) / sum(coalesce(count_a, 0)) OVER (PARTITION BY measure), 0.0001) AS share_a,
           greatest(coalesce(count_b, 0) / sum(coalesce(count_b, 0)) OVER (PARTITION BY measure), 0.0001) AS share_b
    FROM bins
),
psi AS (
    SELECT measure, bool_and(count_a IS NOT NULL AND count_b IS NOT NULL) AS comparable,
           sum((share_b - share_a) * ln(share_b / share_a)) AS psi, count(*) AS bins
    FROM shares
    GROUP BY measure
)
SELECT p.run_a, p.run_b, d.measure, d.bins,
       CASE WHEN d.comparable THEN round(d.psi, 4) END AS psi,
       CASE WHEN NOT d.comparable THEN 'not comparable'
            WHEN d.psi < 0.1 THEN 'stable'
            WHEN d.psi < 0.25 THEN 'moderate shift'
            ELSE 'major shift' END AS flag,
       p.comparison
FROM psi AS d
CROSS JOIN pair AS p
ORDER BY d.measure <> 'score', d.psi DESC NULLS LAST, d.measure;
