-- ensure_profiles: an empty profiles table when none was loaded, so feature macros (which join
-- profiles) bind in any client. Grain: none. Parameters: none.
-- Contract: table profiles (customer attributes).
CREATE TABLE IF NOT EXISTS profiles (customer_id VARCHAR);
