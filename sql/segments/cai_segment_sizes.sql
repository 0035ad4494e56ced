-- cai_segment_sizes: each segment's size at every successful run of its model, beside the number
-- of customers the run scored (runs where nobody matched show 0).
-- Grain: one row per segment and run. Parameters: none.
-- Contract: view cai_segment_sizes.
CREATE OR REPLACE VIEW cai_segment_sizes AS
WITH members AS (
    SELECT segment, run_id, count(*) AS members FROM cai_segment_members GROUP BY segment, run_id
)
SELECT g.segment, g.model, r.run_id, r.score_date, r.model_version, coalesce(m.members, 0) AS members,
       r.n_scored AS scored, round(coalesce(m.members, 0) / r.n_scored, 4) AS share
FROM cai_segments AS g
JOIN cai_runs AS r ON r.model = g.model AND r.status = 'succeeded'
LEFT JOIN members AS m ON m.segment = g.segment AND m.run_id = r.run_id;
