-- publish_attach_target: attach the new file a publish writes (a temporary name beside the target) as cai_publish_target.
-- The source connection may be read-only, so the attachment asks for writing explicitly; the storage version
-- is the one BI clients read (the setting), whatever the source file's own version.
-- Grain: none (a statement). Parameters: $path (the temporary file), $storage_version (e.g. 'v1.4.0').
ATTACH $path AS cai_publish_target (READ_ONLY false, STORAGE_VERSION $storage_version);
