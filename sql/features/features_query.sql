-- features_query: the feature vector of every customer eligible at each cutoff of a cutoffs table, in
-- one pass: the training rendering (its query, under the macro header, over __cutoffs__). The
-- per-model macro cai_features_<model>(cutoff_date) renders cai_features_at, the same rows at one
-- cutoff without window sorts; tests hold the two equal at every cutoff.
-- Grain: one row per eligible customer and cutoff. Parameters: none bound; the cutoffs table
-- (cutoff_date when rendered as a macro).
-- Point in time: features see only events with cutoff - lookback_days <= ts < cutoff, where a
-- cutoff date means midnight UTC at its start; tenure uses the customer's first event, which is
-- before the cutoff for every customer listed; lifetime features see every event before the
-- cutoff. Eligible: at least one event in the last active_days days before the cutoff (any event
-- before it when active_days = "all"), every eligibility event predicate met by some event in the
-- lookback, and every profile predicate true.
-- One shared pass: the events of the span every lookback covers are read once, typed (the event
-- type's position in the model's event-type list, the predicate flags) and marked by two window
-- functions: the day of the customer's next event of the same type, and of the customer's
-- previous event. Each event then meets every cutoff whose lookback holds it, with its age in
-- days (cutoff - date(ts): 1 = the day before the cutoff; "last N days" is age <= N). Marks
-- turn the per-cutoff work into sums: an event is its type's latest before a cutoff when the next
-- one of that type is on or after the cutoff (days since last = its age), and it opens an active
-- day when the previous event is on an earlier day (distinct active days = such events).
-- Lifetime features see every event before the cutoff (no lookback): events are grouped per
-- customer and day once (per lifetime source: whether it occurred, its value), each day falls in
-- the span of the first cutoff after it, is aggregated per customer and span, and running totals
-- over the spans (sum of days and value, min of first day, max of last) give each cutoff's whole
-- history without joining every day to every later cutoff; per source, these give
-- event days ever, first-to-last span, age, days since last, total and mean value and mean gap.
-- Every customer with an event before the cutoff has a lifetime row; the lookback aggregates are
-- joined to it, and __eligible__ keeps those the eligibility rules admit.
-- Placeholders, substituted on the syntax tree by cai_sql.features (never by text):
--   __cutoffs__ the cutoff dates (one row in the macro, a table in training); __lookback__,
--   __active_days__ integers; __event_types__ the model's event types (a list literal);
--   __event_flags__ per-event predicate flags; __aggregates__ the per-source aggregates;
--   __eligibility__ the event-predicate condition; __recently_active__ the active_days condition;
--   __clv_fits__ the BG/NBD parameters per cutoff (clv_r, clv_alpha, clv_a, clv_b; fitted on the
--   history before each cutoff; literals in the macro); __eligible__ whether a lookback row is needed; __day_columns__ the per-day lifetime columns;
--   __lifetime__ the lifetime aggregates; __features__ the output columns; __profile_filter__ the profile predicates; __profiles__ the profiles table (an empty
--   relation when none was loaded).
CREATE OR REPLACE MACRO __macro__(cutoff_date) AS TABLE
WITH cutoffs AS (
    SELECT DISTINCT CAST(c.cutoff AS DATE) AS cutoff FROM __cutoffs__ AS c
),
span AS (
    SELECT min(c.cutoff) - __lookback__ AS first_day, max(c.cutoff) AS last_cutoff FROM cutoffs AS c
),
spanned AS (
    SELECT e.customer_id, e.ts, CAST(e.ts AS DATE) AS day, e.value,
           list_position(__event_types__, e.event_type) AS type_code,
           __event_flags__
    FROM events AS e
    JOIN span AS s
      ON e.ts >= s.first_day AND e.ts < s.last_cutoff
),
marked AS (
    SELECT m.*,
           lead(m.day) OVER (PARTITION BY m.customer_id, m.type_code ORDER BY m.ts) AS next_same_type_day,
           lag(m.day) OVER (PARTITION BY m.customer_id ORDER BY m.ts) AS previous_day
    FROM spanned AS m
),
windowed AS (
    SELECT m.*, c.cutoff,
           c.cutoff - m.day AS age,
           coalesce(m.next_same_type_day >= c.cutoff, TRUE) AS latest_of_type,
           coalesce(m.previous_day < m.day, TRUE) AS opens_day
    FROM marked AS m
    JOIN cutoffs AS c
      ON m.day < c.cutoff AND m.day >= c.cutoff - __lookback__
),
aggregated AS (
    SELECT w.customer_id, w.cutoff,
           sum(1 + (CAST(w.age <= __active_days__ AS BIGINT) << 21)) FILTER (WHERE w.opens_day) AS active_days,
           __aggregates__
    FROM windowed AS w
    GROUP BY w.customer_id, w.cutoff
    HAVING __recently_active__ AND __eligibility__
),
event_days AS (
    SELECT e.customer_id, CAST(e.ts AS DATE) AS day, __day_columns__
    FROM events AS e
    WHERE e.ts < (SELECT s.last_cutoff FROM span AS s)
    GROUP BY e.customer_id, CAST(e.ts AS DATE)
),
cutoff_spans AS (
    SELECT c.cutoff, lag(c.cutoff) OVER (ORDER BY c.cutoff) AS previous_cutoff FROM cutoffs AS c
),
per_span AS (
    SELECT d.customer_id, c.cutoff, __lifetime__
    FROM event_days AS d
    JOIN cutoff_spans AS c ON d.day < c.cutoff AND (c.previous_cutoff IS NULL OR d.day >= c.previous_cutoff)
    GROUP BY d.customer_id, c.cutoff
),
customer_cutoffs AS (
    SELECT f.customer_id, c.cutoff
    FROM (SELECT b.customer_id, min(b.cutoff) AS first_cutoff FROM per_span AS b GROUP BY b.customer_id) AS f
    JOIN cutoffs AS c ON c.cutoff >= f.first_cutoff
),
lifetime AS (
    SELECT cc.customer_id, cc.cutoff, __lifetime_running__
    FROM customer_cutoffs AS cc
    LEFT JOIN per_span AS b ON b.customer_id = cc.customer_id AND b.cutoff = cc.cutoff
)
SELECT l.customer_id, l.cutoff, __features__
FROM lifetime AS l
LEFT JOIN aggregated AS a ON a.customer_id = l.customer_id AND a.cutoff = l.cutoff
LEFT JOIN __profiles__ AS p ON p.customer_id = l.customer_id
LEFT JOIN __clv_fits__ AS k ON k.cutoff = l.cutoff
WHERE __eligible__ AND __profile_filter__;
