-- ingest_reject_reasons: the incoming events (_cai_incoming) that fail a check, in the temporary
-- table _cai_rejected(_row, reason, reasons). `reasons` lists every check the row fails, in this
-- fixed order; `reason` is the first of them:
--   missing_customer_id  customer id NULL or empty (blank)
--   missing_timestamp    no timestamp at all
--   bad_timestamp        a timestamp that does not parse (with --ts-format, or as ISO 8601)
--   future_timestamp     a timestamp later than $future_limit (now + the ingest's tolerance)
--   missing_event_type   event type NULL or empty
--   bad_value            a value that is not a number
-- Grain: one row per failing incoming row (rows numbered from 1 in file order).
-- Parameters: $future_limit (TIMESTAMP, naive UTC).
CREATE OR REPLACE TEMPORARY TABLE _cai_rejected AS
SELECT _row, reasons[1] AS reason, reasons
FROM (
    SELECT
        _row,
        list_filter([
            CASE WHEN customer_id IS NULL OR trim(customer_id) = '' THEN 'missing_customer_id' END,
            CASE WHEN ts_raw IS NULL THEN 'missing_timestamp' END,
            CASE WHEN ts IS NULL AND ts_raw IS NOT NULL THEN 'bad_timestamp' END,
            CASE WHEN ts > CAST($future_limit AS TIMESTAMP) THEN 'future_timestamp' END,
            CASE WHEN event_type IS NULL OR trim(event_type) = '' THEN 'missing_event_type' END,
            CASE WHEN value IS NULL AND value_raw IS NOT NULL THEN 'bad_value' END
        ], lambda r: r IS NOT NULL) AS reasons
    FROM _cai_incoming
)
WHERE len(reasons) > 0;
