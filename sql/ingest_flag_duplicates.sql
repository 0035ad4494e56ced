-- ingest_flag_duplicates: the incoming events (_cai_incoming) with two flags, in _cai_flagged:
--   dup_in_file      an earlier row of the same file has the same event_id, or the same
--                    (customer_id, ts, event_type);
--   dup_of_existing  the table `events` already holds an event with that event_id or that
--                    (customer_id, ts, event_type).
-- Grain: one row per incoming event. Parameters: none.
CREATE OR REPLACE TEMPORARY TABLE _cai_flagged AS
WITH same_id AS (
    SELECT DISTINCT i._row
    FROM _cai_incoming AS i
    JOIN events AS e ON i.event_id = e.event_id
),
same_key AS (
    SELECT DISTINCT i._row
    FROM _cai_incoming AS i
    JOIN events AS e
      ON i.customer_id = e.customer_id AND i.ts = e.ts AND i.event_type = e.event_type
)
SELECT
    i.*,
    (i.event_id IS NOT NULL
        AND row_number() OVER (PARTITION BY i.event_id ORDER BY i._row) > 1)
    OR row_number() OVER (PARTITION BY i.customer_id, i.ts, i.event_type ORDER BY i._row) > 1
        AS dup_in_file,
    i._row IN (SELECT _row FROM same_id) OR i._row IN (SELECT _row FROM same_key)
        AS dup_of_existing
FROM _cai_incoming AS i;
