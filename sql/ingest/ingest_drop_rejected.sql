-- ingest_drop_rejected: removes the rejected rows (_cai_rejected) from the incoming rows
-- (_cai_incoming), so that checks, duplicate counts and the insert see accepted rows only.
-- Grain: none. Parameters: none.
DELETE FROM _cai_incoming WHERE _row IN (SELECT _row FROM _cai_rejected);
