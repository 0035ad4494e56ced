-- ingest_flag_duplicates: the incoming events (_cai_incoming) that duplicate another event, in
-- the temporary table _cai_duplicates(_row, in_file, of_existing):
--   in_file      an earlier row of the same file has the same event_id, or the same
--                (customer_id, ts, event_type); the first such row is not a duplicate;
--   of_existing  the table `events` already holds an event with that event_id or that
--                (customer_id, ts, event_type).
-- Duplicate groups are found by aggregation, so only duplicated rows are ever materialised.
-- Grain: one row per duplicate incoming event. Parameters: none.
CREATE OR REPLACE TEMPORARY TABLE _cai_duplicates AS
WITH repeated_keys AS (
    SELECT customer_id, ts, event_type, min(_row) AS first_row
    FROM _cai_incoming
    GROUP BY customer_id, ts, event_type
    HAVING count(*) > 1
),
repeated_ids AS (
    SELECT event_id, min(_row) AS first_row
    FROM _cai_incoming
    WHERE event_id IS NOT NULL
    GROUP BY event_id
    HAVING count(*) > 1
),
in_file AS (
    SELECT i._row
    FROM _cai_incoming AS i
    JOIN repeated_keys AS r
      ON i.customer_id = r.customer_id AND i.ts = r.ts AND i.event_type = r.event_type
    WHERE i._row > r.first_row
    UNION
    SELECT i._row
    FROM _cai_incoming AS i
    JOIN repeated_ids AS r ON i.event_id = r.event_id
    WHERE i._row > r.first_row
),
of_existing AS (
    SELECT i._row
    FROM _cai_incoming AS i
    JOIN events AS e ON i.event_id = e.event_id
    UNION
    SELECT i._row
    FROM _cai_incoming AS i
    JOIN events AS e
      ON i.customer_id = e.customer_id AND i.ts = e.ts AND i.event_type = e.event_type
)
SELECT
    _row,
    _row IN (SELECT _row FROM in_file)     AS in_file,
    _row IN (SELECT _row FROM of_existing) AS of_existing
FROM (SELECT _row FROM in_file UNION SELECT _row FROM of_existing);
