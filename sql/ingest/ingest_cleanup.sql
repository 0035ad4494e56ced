-- ingest_cleanup: drops the temporary tables an ingest uses. Grain: none. Parameters: none.
DROP TABLE IF EXISTS _cai_duplicates;
DROP TABLE IF EXISTS _cai_merged;
DROP TABLE IF EXISTS _cai_rejected;
DROP TABLE IF EXISTS _cai_rejected_raw;
DROP TABLE IF EXISTS _cai_incoming;
