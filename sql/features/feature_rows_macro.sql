-- feature_rows_macro: the feature vector of every customer eligible at one cutoff date, as the table
-- macro rendered per model (cai_features_<model>(cutoff_date) reads its rows). The training query
-- (cai_features over many cutoffs) gives the same rows at the same cutoff; tests hold them equal.
-- Grain: one row per eligible customer. Parameters: cutoff_date (DATE, macro argument).
-- Point in time: features see only events with cutoff - lookback_days <= ts < cutoff, where a
-- cutoff date means midnight UTC at its start; tenure uses the customer's first event, which is
-- before the cutoff for every customer listed; lifetime features see every event before the
-- cutoff. Eligible: at least one event in the last active_days days before the cutoff (any event
-- before it when active_days = "all"), every eligibility event predicate met by some event in the
-- lookback, and every profile predicate true.
-- At one cutoff every feature is a plain aggregate per customer over the lookback, with no window
-- sort: an event's age in days (cutoff - date(ts): 1 = the day before the cutoff; "last N days"
-- is age <= N) selects the windows it counts in, days since last is the smallest age of the type,
-- and active days are the set bits of a bitmask of ages (bit age - 1 of a HUGEINT per 126 days).
-- Lifetime features (and tenure) see every event before the cutoff: events grouped per customer
-- and day, then per customer: per lifetime source, the count of days, first and last day and value.
-- Every customer with an event before the cutoff has a lifetime row; __eligible__ keeps those the
-- eligibility rules admit (a lookback row is needed unless active_days = "all").
-- Placeholders, substituted on the syntax tree by cai_sql.features (never by text):
--   __lookback__ an integer; __event_types__ the model's event types (a list literal);
--   __event_flags__ per-event predicate flags; __aggregates__ the day bitmasks and per-source
--   aggregates; __recently_active__ the active_days condition on the bitmasks; __eligibility__
--   the event-predicate condition; __clv_fits__ the BG/NBD parameters stored with the model version
--   (clv_r, clv_alpha, clv_a, clv_b); __eligible__ whether a lookback row is needed; __day_columns__
--   the per-day lifetime columns; __lifetime__ the lifetime aggregates; __features__ the output columns; __profile_filter__ the
--   profile predicates; __profiles__ the profiles table (an empty relation when none was loaded).
CREATE OR REPLACE MACRO __macro__(cutoff_date) AS TABLE
WITH lookback AS (
    SELECT e.customer_id, e.value,
           list_position(__event_types__, e.event_type) AS type_code,
           CAST(cutoff_date AS DATE) - CAST(e.ts AS DATE) AS age,
           __event_flags__
    FROM events AS e
    WHERE e.ts >= CAST(cutoff_date AS DATE) - __lookback__ AND e.ts < CAST(cutoff_date AS DATE)
),
aggregated AS (
    SELECT w.customer_id, __aggregates__
    FROM lookback AS w
    GROUP BY w.customer_id
    HAVING __recently_active__ AND __eligibility__
),
event_days AS (
    SELECT e.customer_id, CAST(e.ts AS DATE) AS day, __day_columns__
    FROM events AS e
    WHERE e.ts < CAST(cutoff_date AS DATE)
    GROUP BY e.customer_id, CAST(e.ts AS DATE)
),
lifetime_grouped AS (
    SELECT d.customer_id, __lifetime__
    FROM event_days AS d
    GROUP BY d.customer_id
),
lifetime AS (
    SELECT g.*, CAST(cutoff_date AS DATE) AS cutoff FROM lifetime_grouped AS g
)
SELECT l.customer_id, l.cutoff, __features__
FROM lifetime AS l
LEFT JOIN aggregated AS a ON a.customer_id = l.customer_id
LEFT JOIN __profiles__ AS p ON p.customer_id = l.customer_id
LEFT JOIN __clv_fits__ AS k ON k.cutoff = l.cutoff
WHERE __eligible__ AND __profile_filter__;
