-- cai_clv_p_alive: BG/NBD probability that a customer with x repeat purchases, the last at
-- t_x, observed for T (time units of the fit) is still alive, given the fitted r, alpha, a, b
-- (Fader, Hardie & Lee 2005, eq. 11), computed in log space.
-- Grain: scalar macro. Parameters: x, t_x, T, r, alpha, a, b.
-- Contract: macro cai_clv_p_alive.
CREATE OR REPLACE MACRO cai_clv_p_alive(x, t_x, T, r, alpha, a, b) AS
    1 / (1 + CASE WHEN x > 0
                  THEN exp(least(700.0, ln(a / (b + x - 1)) + (r + x) * ln((alpha + T) / (alpha + t_x))))
                  ELSE 0.0 END);
