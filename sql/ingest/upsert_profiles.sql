-- upsert_profiles: writes the merged incoming profiles (_cai_merged: the file's attributes over the
-- stored ones) in place of the stored rows of those customers, and adds new customers.
-- Grain: one row per customer written. Parameters: none.
DELETE FROM profiles WHERE customer_id IN (SELECT customer_id FROM _cai_merged);
INSERT INTO profiles BY NAME SELECT * FROM _cai_merged;
