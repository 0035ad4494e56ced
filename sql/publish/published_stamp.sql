-- published_stamp: when and from where a published copy was written (its cai_published row).
-- Grain: one row. Parameters: none.
SELECT published_at, source, storage_version FROM cai_published;
