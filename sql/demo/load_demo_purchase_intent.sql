-- load_demo_purchase_intent: the generator's true daily purchase probabilities as the side table
-- demo_purchase_intent(customer_id, day, purchase_intent), the oracle for model quality.
-- Grain: one row per customer and active day. Parameters: $path (the generator's Parquet file).
CREATE OR REPLACE TABLE demo_purchase_intent AS
SELECT customer_id, day, purchase_intent FROM read_parquet($path);
