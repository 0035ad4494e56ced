-- cai_clv_expected_purchases: BG/NBD conditional expectation — the expected number of purchases
-- in the next `horizon` time units of a customer with x repeat purchases, the last at t_x, observed for
-- T, given the fitted r, alpha, a, b (Fader, Hardie & Lee 2005, eq. 10). The Gauss
-- hypergeometric function comes from cai_log_hyp2f1 and is combined with its factor
-- ((alpha + T) / (alpha + T + horizon))^(r + x) in log space, so heavy buyers do not overflow.
-- Grain: scalar macro. Parameters: horizon, x, t_x, T, r, alpha, a, b.
-- Contract: macro cai_clv_expected_purchases.
CREATE OR REPLACE MACRO cai_clv_expected_purchases(horizon, x, t_x, T, r, alpha, a, b) AS CASE
    WHEN horizon < 0 THEN error('cai_clv_expected_purchases: the horizon must be >= 0')
    WHEN horizon = 0 THEN 0.0
    ELSE (a + b + x - 1) / (a - 1)
         * (1 - exp((r + x) * ln((alpha + T) / (alpha + T + horizon))
                    + cai_log_hyp2f1(r + x, b + x, a + b + x - 1, horizon / (alpha + T + horizon))))
         / (1 + CASE WHEN x > 0
                     THEN exp(least(700.0, ln(a / (b + x - 1)) + (r + x) * ln((alpha + T) / (alpha + t_x))))
                     ELSE 0.0 END)
END;
