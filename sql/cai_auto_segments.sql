-- cai_auto_segments: the one-click segments of every model's latest run — one per bucket and one
-- per leading reason code (the customer's strongest factor) — with their size, the predicate that
-- defines them and a suggested segment name (`cai segment create NAME --model M --bucket high`
-- or `--top-factor CODE` creates one). Grain: one row per model and bucket or leading code.
-- Parameters: none.
CREATE OR REPLACE VIEW cai_auto_segments AS
WITH latest AS (
    SELECT s.model, s.run_id, s.score_date, s.bucket, list_element(s.influential_factors, 1).code AS top_factor
    FROM cai_scores AS s
    JOIN cai_latest_runs AS l ON l.run_id = s.run_id
),
groups AS (
    SELECT model, run_id, score_date, 'bucket' AS kind, bucket AS value, count(*) AS customers
    FROM latest GROUP BY model, run_id, score_date, bucket
    UNION ALL
    SELECT model, run_id, score_date, 'top_factor', top_factor, count(*)
    FROM latest WHERE top_factor IS NOT NULL GROUP BY model, run_id, score_date, top_factor
)
SELECT model, run_id, score_date, kind, value, customers,
       round(customers / sum(customers) FILTER (WHERE kind = 'bucket') OVER (PARTITION BY model), 4) AS share,
       (CASE kind WHEN 'bucket' THEN 'bucket' ELSE 'top_factor' END) || ' = ''' || replace(value, '''', '''''') || '''' AS predicate,
       left(regexp_replace(lower(model || '_' || CASE kind WHEN 'bucket' THEN value ELSE 'top_' || value END),
                           '[^a-z0-9_]+', '_', 'g'), 48) AS suggested_name
FROM groups;
