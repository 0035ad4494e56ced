-- cai_published: one row in a published copy saying when, from where and in which storage version it was written.
-- BI tools can show "data as of published_at"; `cai publish` replaces only files that hold this table.
-- Grain: one row per published copy. Parameters: $published_at (UTC), $source (path of the live database or NULL),
-- $storage_version, $cai_sql_version, $duckdb_version.
-- Contract: table cai_published (in published copies).
CREATE OR REPLACE TABLE cai_publish_target.main.cai_published AS
SELECT CAST($published_at AS TIMESTAMP) AS published_at,
       CAST($source AS VARCHAR) AS source,
       CAST($storage_version AS VARCHAR) AS storage_version,
       CAST($cai_sql_version AS VARCHAR) AS cai_sql_version,
       CAST($duckdb_version AS VARCHAR) AS duckdb_version;
