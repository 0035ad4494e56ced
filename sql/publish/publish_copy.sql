-- publish_copy: copy every table (with its rows), view, macro and sequence of the source database into cai_publish_target.
-- "__source__" is replaced by the source catalog's name as a sqlglot-quoted identifier (COPY FROM DATABASE
-- takes names only, and sqlglot cannot parse this statement); it runs inside one transaction: one snapshot.
-- Grain: none (a statement). Parameters: none.
COPY FROM DATABASE "__source__" TO cai_publish_target;
