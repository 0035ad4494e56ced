-- cai_log_hyp2f1: the natural log of the Gauss hypergeometric function 2F1(a, b; c; z) for
-- a, b, c > 0 and 0 <= z < 1, as a truncated series summed in SQL: every term comes from
-- cai_hyp2f1_term (lgamma), scaled by the largest term so that nothing overflows; the series is
-- cut 2 * peak + 40 / -ln((1 + z) / 2) terms in, past which the terms fall faster than
-- ((1 + z) / 2)^n, so the omitted tail is below 1e-16 of the sum. Refuses z outside [0, 1) and
-- series longer than a million terms (z too close to 1).
-- Grain: scalar macro. Parameters: a, b, c, z.
CREATE OR REPLACE MACRO cai_log_hyp2f1(a, b, c, z) AS CASE
    WHEN z < 0 OR z >= 1 OR z IS NULL THEN error('cai_log_hyp2f1: z must be in [0, 1)')
    WHEN z = 0 THEN 0.0
    WHEN 2 * cai_hyp2f1_peak(a, b, c, z) + 40 / -ln((1 + z) / 2) > 1000000
        THEN error('cai_log_hyp2f1: z is too close to 1 for the series (more than a million terms)')
    ELSE list_transform(
        [cai_hyp2f1_term(a, b, c, z, floor(cai_hyp2f1_peak(a, b, c, z)))],
        lambda shift: shift + ln(list_sum(list_transform(
            range(0, CAST(ceil(2 * cai_hyp2f1_peak(a, b, c, z) + 40 / -ln((1 + z) / 2)) AS BIGINT) + 1),
            lambda n: exp(cai_hyp2f1_term(a, b, c, z, n) - shift)))))[1]
END;
