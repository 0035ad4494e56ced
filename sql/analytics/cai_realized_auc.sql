-- cai_realized_auc: how well each evaluated run ranked its customers once their outcomes were
-- known — the AUC (Mann–Whitney: the chance a customer whose outcome happened outranks one whose
-- did not, ties counting half), positives, and the expected against the actual rate.
-- Grain: one row per evaluated run. Parameters: none.
-- Contract: view cai_realized_auc.
CREATE OR REPLACE VIEW cai_realized_auc AS
WITH by_probability AS (
    SELECT s.run_id, s.probability,
           count(*) FILTER (WHERE o.outcome) AS positives,
           count(*) FILTER (WHERE NOT o.outcome) AS negatives,
           sum(s.probability) AS expected
    FROM cai_scores AS s
    JOIN cai_run_outcomes AS o ON o.run_id = s.run_id AND o.customer_id = s.customer_id
    GROUP BY s.run_id, s.probability
),
ranked AS (
    SELECT run_id, positives, negatives, expected,
           coalesce(sum(negatives) OVER (PARTITION BY run_id ORDER BY probability
                                         ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS negatives_below
    FROM by_probability
),
per_run AS (
    SELECT run_id, sum(positives) AS positives, sum(negatives) AS negatives, sum(expected) AS expected,
           sum(positives * (negatives_below + 0.5 * negatives)) AS wins
    FROM ranked
    GROUP BY run_id
)
SELECT r.model, r.run_id, r.score_date, r.model_version, CAST(p.positives + p.negatives AS BIGINT) AS customers,
       CAST(p.positives AS BIGINT) AS positives,
       round(p.wins / nullif(p.positives * p.negatives, 0), 4) AS auc,
       round(p.expected / (p.positives + p.negatives), 4) AS expected_rate,
       round(p.positives / (p.positives + p.negatives), 4) AS actual_rate
FROM per_run AS p
JOIN cai_runs AS r ON r.run_id = p.run_id;
