-- cai_clv_expected_spend: Gamma-Gamma expected average order value of a customer whose x
-- repeat purchase days with a positive amount averaged m, given the fitted p, q, gamma (Fader &
-- Hardie); with x = 0 (or m NULL) it is the population mean p * gamma / (q - 1).
-- Grain: scalar macro. Parameters: x, m, p, q, gamma.
-- Contract: macro cai_clv_expected_spend.
CREATE OR REPLACE MACRO cai_clv_expected_spend(x, m, p, q, gamma) AS
    p * (gamma + coalesce(x, 0) * coalesce(m, 0.0)) / (p * coalesce(x, 0) + q - 1);
