-- cai_features: the feature vector of every customer eligible at a cutoff date, as a table macro
-- rendered per model (cai_features_<model>(cutoff_date)) and, over many cutoffs at once, for training.
-- Grain: one row per eligible customer and cutoff. Parameters: cutoff_date (DATE, macro argument).
-- Point in time: features see only events with cutoff - lookback_days <= ts < cutoff, where a
-- cutoff date means midnight UTC at its start; tenure uses the customer's first event, which is
-- before the cutoff for every customer listed. Eligible: at least one event in the last
-- active_days days before the cutoff, every eligibility event predicate met by some event in the
-- lookback, and every profile predicate true.
-- Placeholders, substituted on the syntax tree by cai_sql.features (never by text):
--   __cutoffs__ the cutoff dates (one row in the macro, a table in training); __lookback__,
--   __active_days__ integers; __event_flags__ per-event predicate flags; __aggregates__ the
--   per-event-type aggregates; __eligibility__ the event-predicate condition; __features__ the
--   output columns; __profile_filter__ the profile predicates; __profiles__ the profiles table
--   (an empty relation when none was loaded).
CREATE OR REPLACE MACRO __macro__(cutoff_date) AS TABLE
WITH cutoffs AS (
    SELECT DISTINCT CAST(c.cutoff AS DATE) AS cutoff FROM __cutoffs__ AS c
),
windowed AS (
    SELECT e.customer_id, c.cutoff, e.ts, e.event_type, e.value, __event_flags__
    FROM events AS e
    JOIN cutoffs AS c
      ON e.ts < c.cutoff AND e.ts >= c.cutoff - __lookback__
),
aggregated AS (
    SELECT w.customer_id, w.cutoff, __aggregates__
    FROM windowed AS w
    GROUP BY w.customer_id, w.cutoff
    HAVING max(w.ts) >= w.cutoff - __active_days__ AND __eligibility__
),
active_days AS (
    SELECT d.customer_id, d.cutoff, count(*) AS active_days
    FROM (SELECT DISTINCT w.customer_id, w.cutoff, CAST(w.ts AS DATE) AS day FROM windowed AS w) AS d
    GROUP BY d.customer_id, d.cutoff
),
first_seen AS (
    SELECT e.customer_id, CAST(min(e.ts) AS DATE) AS first_day
    FROM events AS e
    GROUP BY e.customer_id
)
SELECT a.customer_id, a.cutoff, __features__
FROM aggregated AS a
JOIN active_days AS d ON d.customer_id = a.customer_id AND d.cutoff = a.cutoff
JOIN first_seen AS f ON f.customer_id = a.customer_id
LEFT JOIN __profiles__ AS p ON p.customer_id = a.customer_id
WHERE __profile_filter__;
