-- profile_drop_rejected: removes the incoming profiles (_cai_incoming) without a customer id (NULL
-- or empty), once they are kept in cai_ingest_rejects (`--bad-rows reject`).
-- Grain: none. Parameters: none.
DELETE FROM _cai_incoming WHERE customer_id IS NULL OR trim(customer_id) = '';
