-- profile_problems: what is wrong with the profiles about to be ingested (_cai_incoming).
-- Grain: one row. Parameters: none.
SELECT
    count(*)                                                              AS n_rows,
    count(*) FILTER (WHERE customer_id IS NULL OR trim(customer_id) = '') AS n_bad_customer,
    count(customer_id) - count(DISTINCT customer_id)                      AS n_repeated,
    (SELECT customer_id FROM _cai_incoming WHERE customer_id IS NOT NULL
     GROUP BY customer_id HAVING count(*) > 1 ORDER BY customer_id LIMIT 1) AS example_repeated
FROM _cai_incoming;
