-- customer_clv: one customer's latest lifetime-value row, when lifetime value has been scored.
-- Grain: at most one row. Parameters: $customer.
SELECT * FROM cai_latest_clv WHERE customer_id = $customer;
