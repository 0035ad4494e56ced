-- ingest_problems: what is wrong with the events about to be ingested (_cai_incoming),
-- one count per kind of problem with the first offending row and its raw value.
-- A timestamp later than $future_limit (now + the ingest's tolerance) is a problem too.
-- Grain: one row. Parameters: $future_limit (TIMESTAMP, naive UTC). Rows are numbered from 1 in file order.
SELECT
    count(*)                                                                   AS n_rows,
    count(*) FILTER (WHERE customer_id IS NULL OR trim(customer_id) = '')      AS n_bad_customer,
    min(_row) FILTER (WHERE customer_id IS NULL OR trim(customer_id) = '')     AS first_bad_customer,
    count(*) FILTER (WHERE ts_raw IS NULL)                                     AS n_missing_ts,
    min(_row) FILTER (WHERE ts_raw IS NULL)                                    AS first_missing_ts,
    count(*) FILTER (WHERE ts IS NULL AND ts_raw IS NOT NULL)                  AS n_bad_ts,
    arg_min(ts_raw, _row) FILTER (WHERE ts IS NULL AND ts_raw IS NOT NULL)     AS example_bad_ts,
    min(_row) FILTER (WHERE ts IS NULL AND ts_raw IS NOT NULL)                 AS first_bad_ts,
    count(*) FILTER (WHERE ts > CAST($future_limit AS TIMESTAMP))              AS n_future_ts,
    arg_min(ts_raw, _row) FILTER (WHERE ts > CAST($future_limit AS TIMESTAMP)) AS example_future_ts,
    min(_row) FILTER (WHERE ts > CAST($future_limit AS TIMESTAMP))             AS first_future_ts,
    count(*) FILTER (WHERE event_type IS NULL OR trim(event_type) = '')        AS n_bad_type,
    min(_row) FILTER (WHERE event_type IS NULL OR trim(event_type) = '')       AS first_bad_type,
    count(*) FILTER (WHERE value IS NULL AND value_raw IS NOT NULL)            AS n_bad_value,
    arg_min(value_raw, _row) FILTER (WHERE value IS NULL AND value_raw IS NOT NULL) AS example_bad_value,
    min(_row) FILTER (WHERE value IS NULL AND value_raw IS NOT NULL)           AS first_bad_value
FROM _cai_incoming;
