-- demo_purchase_intent: the generator's true daily purchase probability per active customer
-- (generated_intent), the oracle that model quality is compared with.
-- Grain: one row per customer and day on which the customer was active, in day order.
-- Parameters: $start (DATE, day 0).
SELECT printf('cust-%07d', idx) AS customer_id, ($start::DATE + day::INTEGER) AS day, purchase_intent
FROM generated_intent;
