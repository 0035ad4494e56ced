-- publish_attach_previous: attach the file already at a publish target, read-only, to see whether it is a published copy.
-- Grain: none (a statement). Parameters: $path (the existing target file).
ATTACH $path AS cai_publish_previous (READ_ONLY);
