-- cai_hyp2f1: the Gauss hypergeometric function 2F1(a, b; c; z) for a, b, c > 0 and
-- 0 <= z < 1 (exp of cai_log_hyp2f1; use that one when the value may exceed 1e308).
-- Grain: scalar macro. Parameters: a, b, c, z.
-- Contract: macro cai_hyp2f1.
CREATE OR REPLACE MACRO cai_hyp2f1(a, b, c, z) AS exp(cai_log_hyp2f1(a, b, c, z));
