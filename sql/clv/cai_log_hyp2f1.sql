-- cai_log_hyp2f1: the natural log of the Gauss hypergeometric function 2F1(a, b; c; z) for
-- a, b, c > 0 and 0 <= z < 1, as a truncated series summed in SQL: terms in log space with
-- lgamma (cai_hyp2f1_term), each divided by the largest one (at cai_hyp2f1_peak) so nothing
-- overflows, summed over cai_hyp2f1_length terms (the omitted tail is below 1e-16 of the sum).
-- Refuses z outside [0, 1) and series longer than a million terms (z too close to 1).
-- Grain: scalar macro. Parameters: a, b, c, z.
-- Contract: macro cai_log_hyp2f1.
CREATE OR REPLACE MACRO cai_log_hyp2f1(a, b, c, z) AS CASE
    WHEN z < 0 OR z >= 1 OR z IS NULL THEN error('cai_log_hyp2f1: z must be in [0, 1)')
    WHEN z = 0 THEN 0.0
    ELSE list_transform(
        [{'a': a, 'b': b, 'c': c, 'log_z': ln(z), 'top': floor(cai_hyp2f1_peak(a, b, c, z)),
          'shift': lgamma(a + floor(cai_hyp2f1_peak(a, b, c, z))) + lgamma(b + floor(cai_hyp2f1_peak(a, b, c, z)))
                   - lgamma(c + floor(cai_hyp2f1_peak(a, b, c, z))) - lgamma(floor(cai_hyp2f1_peak(a, b, c, z)) + 1)
                   + floor(cai_hyp2f1_peak(a, b, c, z)) * ln(z),
          'terms': cai_hyp2f1_length(a, b, c, z)}],
        lambda s: CASE WHEN s['terms'] > 1000000
                       THEN error('cai_log_hyp2f1: z is too close to 1 for the series (more than a million terms)')
                       ELSE cai_hyp2f1_term(s['a'], s['b'], s['c'], z, s['top']) + ln(list_sum(list_transform(
                           range(0, CAST(s['terms'] AS BIGINT) + 1),
                           lambda n: exp(lgamma(s['a'] + n) + lgamma(s['b'] + n) - lgamma(s['c'] + n) - lgamma(n + 1)
                                         + n * s['log_z'] - s['shift'])))) END
    )[1]
END;
