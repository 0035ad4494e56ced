-- publish_detach_previous: detach the earlier published copy attached by publish_attach_previous, or nothing.
-- Grain: none (a statement). Parameters: none.
DETACH DATABASE IF EXISTS cai_publish_previous;
