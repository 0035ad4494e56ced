-- create_profiles: creates `profiles` from _cai_incoming (first ingest, or ingest with replace).
-- Grain: one row per customer. Parameters: none.
-- Contract: table profiles (customer attributes).
CREATE OR REPLACE TABLE profiles AS SELECT * FROM _cai_incoming ORDER BY customer_id;
