-- cai_hyp2f1_term: the natural log of the n-th term of the Gauss hypergeometric series
-- 2F1(a, b; c; z) = sum over n >= 0 of (a)_n (b)_n / ((c)_n n!) z^n, written with lgamma so
-- that it neither overflows nor underflows for large a, b, c or n (a, b, c > 0, 0 < z < 1).
-- Grain: scalar macro. Parameters: a, b, c, z, n.
-- Contract: macro cai_hyp2f1_term.
CREATE OR REPLACE MACRO cai_hyp2f1_term(a, b, c, z, n) AS
    lgamma(a + n) - lgamma(a) + lgamma(b + n) - lgamma(b) - lgamma(c + n) + lgamma(c) - lgamma(n + 1) + n * ln(z);
