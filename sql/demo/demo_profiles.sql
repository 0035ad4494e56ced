-- demo_profiles: the generator's customer attributes (generated_profiles) as a profiles file.
-- Grain: one row per customer. Parameters: none.
SELECT printf('cust-%07d', idx) AS customer_id, loyalty_tier, region, signup_date, age_band, email_opt_in
FROM generated_profiles
ORDER BY idx;
