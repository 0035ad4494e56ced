-- score_run_insert_sql: one scoring run's rows into cai_scores through the model version's
-- persisted SQL macros (cai score --via sql) instead of the Python functions; the same columns as
-- score_run_insert. The 0–100 score places the probability on the version's score scale
-- (cai_models.score_scale: quantiles of its validation probabilities, scores spaced evenly) by
-- linear interpolation exactly as numpy.interp does in the Python path: the segment starts at the
-- last scale point at or below the probability (ASOF join), 0 below the first point, 100 at or above
-- the last, rounded half to even. Grain: one row per eligible customer.
-- Parameters: $run_id, $model, $version, $model_type, $score_date, $factors.
-- Placeholders: __score__ and __explain__ (the version's score and explain macros).
INSERT INTO cai_scores
WITH scored AS (
    SELECT f.customer_id, __score__(f) AS probability, __explain__(f, CAST($factors AS INTEGER)) AS influential_factors
    FROM temp._cai_run_features AS f
),
points AS (
    SELECT p.x, p.j, p.m, lead(p.x) OVER (ORDER BY p.j) AS next_x
    FROM (
        SELECT unnest(score_scale) AS x, generate_subscripts(score_scale, 1) - 1 AS j, len(score_scale) AS m
        FROM cai_models
        WHERE model = $model AND version = $version
    ) AS p
),
segments AS (  -- one per distinct point: the last of equal points, as numpy.interp's search finds it
    SELECT x AS lo, next_x AS hi,
           CASE WHEN j = m - 1 THEN 100.0 ELSE j * (100.0 / (m - 1)) END AS g_lo,
           CASE WHEN j + 1 = m - 1 THEN 100.0 ELSE (j + 1) * (100.0 / (m - 1)) END AS g_hi
    FROM points
    WHERE next_x IS NULL OR x < next_x
),
placed AS (
    SELECT s.customer_id, s.probability, s.influential_factors,
           CAST(round_even(CASE WHEN c.lo IS NULL THEN 0.0
                                WHEN c.hi IS NULL THEN 100.0
                                WHEN s.probability = c.lo THEN c.g_lo
                                ELSE (c.g_hi - c.g_lo) / (c.hi - c.lo) * (s.probability - c.lo) + c.g_lo END, 0)
                AS INTEGER) AS score
    FROM scored AS s
    ASOF LEFT JOIN segments AS c ON s.probability >= c.lo
)
SELECT CAST($run_id AS BIGINT), CAST($model AS VARCHAR), CAST($version AS INTEGER), CAST($model_type AS VARCHAR),
       CAST($score_date AS DATE), customer_id, probability, score,
       CAST(ceil(100 * cume_dist() OVER (ORDER BY probability)) AS INTEGER),
       CASE WHEN score < 25 THEN 'low' WHEN score < 75 THEN 'medium' ELSE 'high' END,
       influential_factors
FROM placed;
