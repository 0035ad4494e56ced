-- cai_labels: whether each customer met the goal in the window after a cutoff, as a table macro
-- rendered per model (cai_labels_<model>(cutoff_date)) and, over many cutoffs, for training.
-- Grain: one row per customer with any event in the window, and cutoff; customers without
-- events in the window met no condition. Parameters: cutoff_date (DATE, macro argument).
-- Point in time: labels see only events with cutoff <= ts < cutoff + window_days (midnight UTC).
-- goal_met combines the goal's conditions (each met by some event in the window) with AND
-- (all_of) or OR (any_of); label is goal_met, or NOT goal_met for "will not occur" goals.
-- Placeholders, substituted on the syntax tree by cai_sql.features: __cutoffs__, __window__,
--   __goal__ (the combined condition over bool_or of each goal predicate), __will_occur__.
-- Contract: table macros cai_labels_<model>(cutoff_date) and cai_labels_<model>_v<n>(cutoff_date).
CREATE OR REPLACE MACRO __macro__(cutoff_date) AS TABLE
WITH cutoffs AS (
    SELECT DISTINCT CAST(c.cutoff AS DATE) AS cutoff FROM __cutoffs__ AS c
)
SELECT e.customer_id, c.cutoff, __goal__ AS goal_met, (__goal__) = __will_occur__ AS label
FROM events AS e
JOIN cutoffs AS c
  ON e.ts >= c.cutoff AND e.ts < c.cutoff + __window__
GROUP BY e.customer_id, c.cutoff;
