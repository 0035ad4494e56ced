-- cai_hyp2f1_length: how many terms of 2F1(a, b; c; z) the truncated series sums, beyond the
-- first: past n0 = 2 * peak + 1 the ratio of consecutive terms stays below
-- rho = max(z, ratio at n0) < 1, so stopping k terms after n0 with rho^k / (1 - rho) < 1e-16
-- leaves a tail below 1e-16 of the sum. Grain: scalar macro. Parameters: a, b, c, z.
-- Contract: macro cai_hyp2f1_length.
CREATE OR REPLACE MACRO cai_hyp2f1_length(a, b, c, z) AS list_transform(
    [floor(2 * cai_hyp2f1_peak(a, b, c, z)) + 1],
    lambda n0: list_transform(
        [greatest(z, z * (a + n0) * (b + n0) / ((c + n0) * (n0 + 1)))],
        lambda rho: n0 + ceil((36.9 - ln(1 - rho)) / -ln(rho)))[1])[1];
