-- model_segments: the segments defined on one model (name and stored predicate), for refreshing
-- their membership when the model scores a new run. Grain: one row per segment.
-- Parameters: $model.
SELECT segment, predicate FROM cai_segments WHERE model = $model ORDER BY segment;
