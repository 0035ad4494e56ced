-- cai_features: the feature vector of every customer eligible at a cutoff date, as a table macro
-- rendered per model (cai_features_<model>(cutoff_date)) and, over many cutoffs at once, for training.
-- Grain: one row per eligible customer and cutoff. Parameters: cutoff_date (DATE, macro argument).
-- Point in time: features see only events with cutoff - lookback_days <= ts < cutoff, where a
-- cutoff date means midnight UTC at its start; tenure uses the customer's first event, which is
-- before the cutoff for every customer listed. Eligible: at least one event in the last
-- active_days days before the cutoff, every eligibility event predicate met by some event in the
-- lookback, and every profile predicate true.
-- Each event in the lookback gets its age in days (cutoff - date(ts): 1 = the day before the
-- cutoff; "last N days" is age <= N) and its type's position in the model's event-type list, so
-- the aggregates filter on integers; distinct active days are a bitstring of ages, in the same pass.
-- Placeholders, substituted on the syntax tree by cai_sql.features (never by text):
--   __cutoffs__ the cutoff dates (one row in the macro, a table in training); __lookback__,
--   __active_days__ integers; __event_types__ the model's event types (a list literal);
--   __event_flags__ per-event predicate flags; __aggregates__ the per-event-type aggregates; __eligibility__ the event-predicate condition; __features__ the
--   output columns; __profile_filter__ the profile predicates; __profiles__ the profiles table
--   (an empty relation when none was loaded).
CREATE OR REPLACE MACRO __macro__(cutoff_date) AS TABLE
WITH cutoffs AS (
    SELECT DISTINCT CAST(c.cutoff AS DATE) AS cutoff FROM __cutoffs__ AS c
),
windowed AS (
    SELECT e.customer_id, c.cutoff, e.ts, e.value,
           c.cutoff - CAST(e.ts AS DATE) AS age,
           list_position(__event_types__, e.event_type) AS type_code,
           __event_flags__
    FROM events AS e
    JOIN cutoffs AS c
      ON e.ts < c.cutoff AND e.ts >= c.cutoff - __lookback__
),
aggregated AS (
    SELECT w.customer_id, w.cutoff,
           bit_count(bitstring_agg(w.age, 1, __lookback__)) AS active_days,
           __aggregates__
    FROM windowed AS w
    GROUP BY w.customer_id, w.cutoff
    HAVING min(w.age) <= __active_days__ AND __eligibility__
),
first_seen AS (
    SELECT e.customer_id, CAST(min(e.ts) AS DATE) AS first_day
    FROM events AS e
    GROUP BY e.customer_id
)
SELECT a.customer_id, a.cutoff, __features__
FROM aggregated AS a
JOIN first_seen AS f ON f.customer_id = a.customer_id
LEFT JOIN __profiles__ AS p ON p.customer_id = a.customer_id
WHERE __profile_filter__;
