-- clv_summary: each purchaser's repeat-purchase summary as of a date, the input of the
-- lifetime-value models. A purchase day is a calendar day with at least one event matching the
-- purchase predicate before $as_of; frequency counts the repeat purchase days (all but the
-- first), recency the time from the first to the last purchase day, T the time from the first
-- purchase day to the last observed day ($as_of - 1), all in units of $unit_days days.
-- monetary_value is the mean amount (sum of the value column per day) of the repeat purchase days
-- whose amount is positive (spend_days of them); repeat days with a zero, negative or missing
-- amount count as purchases but not as spend (excluded_days).
-- Grain: one row per customer with a purchase before $as_of. Parameters: $as_of, $unit_days.
-- Placeholders: __purchase__ (the checked purchase predicate), __value__ (the value column).
-- The sums are ordered aggregates: summed in value order, not in whatever order DuckDB's threads
-- combine their partial sums, so the same events give the same bits on every run (the Gamma-Gamma
-- fit amplified a last-bit difference into a visible change of the total CLV).
WITH days AS (
    SELECT customer_id, CAST(ts AS DATE) AS day, sum(__value__ ORDER BY __value__) AS amount
    FROM events
    WHERE ts < CAST($as_of AS DATE) AND (__purchase__)
    GROUP BY customer_id, CAST(ts AS DATE)
), customers AS (
    SELECT
        customer_id,
        count(*) - 1 AS frequency,
        min(day) AS first_purchase,
        max(day) AS last_purchase,
        arg_min(amount, day) AS first_amount,
        count(*) FILTER (WHERE amount > 0) AS positive_days,
        sum(amount ORDER BY amount) FILTER (WHERE amount > 0) AS positive_amount
    FROM days
    GROUP BY customer_id
), repeat AS (
    SELECT
        *,
        positive_days - CASE WHEN first_amount > 0 THEN 1 ELSE 0 END AS spend_days,
        positive_amount - CASE WHEN first_amount > 0 THEN first_amount ELSE 0 END AS spend_amount
    FROM customers
)
SELECT
    customer_id,
    CAST(frequency AS INTEGER) AS frequency,
    date_diff('day', first_purchase, last_purchase) / CAST($unit_days AS DOUBLE) AS recency,
    (date_diff('day', first_purchase, CAST($as_of AS DATE)) - 1) / CAST($unit_days AS DOUBLE) AS T,
    CASE WHEN spend_days > 0 THEN spend_amount / spend_days END AS monetary_value,
    CAST(spend_days AS INTEGER) AS spend_days,
    CAST(frequency - spend_days AS INTEGER) AS excluded_days,
    first_purchase,
    last_purchase
FROM repeat;
