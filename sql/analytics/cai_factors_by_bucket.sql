-- cai_factors_by_bucket: the reason-code table — for every successful run and bucket, each factor
-- (code, the text customers have for it, and whether it raises or lowers their prediction) with
-- the people who have it among their influential factors, their share of the bucket, how many have
-- it as their leading factor (as_top_factor), its total and mean contribution, its mean value, and
-- its rank in the bucket by signed total contribution toward the bucket's outcome: raising first in
-- the high bucket, lowering first in the low bucket, strongest either way in the medium bucket
-- (rank <= 10 gives Customer AI's top 10 per bucket). An attribute's factor has one row per level
-- named in the texts ("Loyalty tier: silver"), so every row is true of the people it counts.
-- Grain: one row per run, bucket, factor code, text and direction. Parameters: none.
-- Contract: view cai_factors_by_bucket.
CREATE OR REPLACE VIEW cai_factors_by_bucket AS
WITH factors AS (
    SELECT s.model, s.run_id, s.score_date, s.model_version, s.bucket,
           unnest(s.influential_factors) AS f, generate_subscripts(s.influential_factors, 1) AS position
    FROM cai_scores AS s
),
counted AS (
    SELECT model, run_id, score_date, model_version, bucket, f.code AS code, f.description AS description,
           f.direction AS direction,
           count(*) AS people, count(*) FILTER (WHERE position = 1) AS as_top_factor,
           count(*) FILTER (WHERE f.importance = 'high') AS high_importance,
           sum(f.contribution) AS total_contribution, avg(f.contribution) AS mean_contribution, avg(f.value) AS mean_value
    FROM factors
    GROUP BY model, run_id, score_date, model_version, bucket, f.code, f.description, f.direction
)
SELECT c.model, c.run_id, c.score_date, c.model_version, c.bucket, c.code, c.description, c.direction, c.people,
       round(c.people / CASE c.bucket WHEN 'high' THEN r.n_high WHEN 'medium' THEN r.n_medium ELSE r.n_low END, 4) AS share,
       c.as_top_factor, c.high_importance, round(c.total_contribution, 4) AS total_contribution,
       round(c.mean_contribution, 4) AS mean_contribution, c.mean_value,
       row_number() OVER (
           PARTITION BY c.run_id, c.bucket
           ORDER BY CASE c.bucket WHEN 'high' THEN c.total_contribution WHEN 'low' THEN -c.total_contribution
                                  ELSE abs(c.total_contribution) END DESC,
                    c.people DESC, c.code, c.description) AS rank
FROM counted AS c
JOIN cai_runs AS r ON r.run_id = c.run_id;
