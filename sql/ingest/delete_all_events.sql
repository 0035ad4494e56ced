-- delete_all_events: empties `events` (ingest with replace). Grain: none. Parameters: none.
DELETE FROM events;
