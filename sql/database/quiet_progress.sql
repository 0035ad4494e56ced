-- quiet_progress: turn off DuckDB's own progress bar on a connection cai-sql opened (the CLI prints its own progress).
-- Grain: none (a setting). Parameters: none.
SET enable_progress_bar = false;
