-- publish_detach_target: detach the file a publish wrote (DuckDB checkpoints it and closes it), or nothing.
-- Grain: none (a statement). Parameters: none.
DETACH DATABASE IF EXISTS cai_publish_target;
