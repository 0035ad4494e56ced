-- cai_hyp2f1_peak: where the terms of 2F1(a, b; c; z) stop growing — the positive root in n of
-- (a + n)(b + n) z = (c + n)(n + 1), or 0 when the terms only shrink. The truncated series in
-- cai_log_hyp2f1 is centred and sized on it. Grain: scalar macro. Parameters: a, b, c, z.
-- Contract: macro cai_hyp2f1_peak.
CREATE OR REPLACE MACRO cai_hyp2f1_peak(a, b, c, z) AS greatest(0.0,
    (-(c + 1 - (a + b) * z)
     + sqrt(greatest(0.0, (c + 1 - (a + b) * z) * (c + 1 - (a + b) * z) - 4 * (1 - z) * (c - a * b * z))))
    / (2 * (1 - z)));
