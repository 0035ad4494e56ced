-- customer_attributes: one customer's profile row. Grain: at most one row. Parameters: $customer.
SELECT * FROM profiles WHERE customer_id = $customer;
