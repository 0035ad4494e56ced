-- demo_oracle: what a model that knew each customer's true purchase intent on the cutoff date
-- (demo_purchase_intent, the generator's latent state) would predict for the next $window days:
-- 1 - (1 - intent)^window. Customers not active on that day are absent (probability 0).
-- Grain: one row per customer active on $cutoff. Parameters: $cutoff (DATE), $window (INTEGER).
SELECT customer_id, 1 - pow(1 - purchase_intent, $window) AS oracle_probability
FROM demo_purchase_intent
WHERE day = $cutoff;
