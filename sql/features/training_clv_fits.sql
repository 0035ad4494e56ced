-- training_clv_fits: the BG/NBD parameters fitted on the history before each training cutoff, in
-- the temporary table _cai_clv_fits that the training features query joins (NULL where the data
-- could not identify a fit). Grain: one row per cutoff. Parameters: $cutoffs (DATE[]), $r, $alpha,
-- $a, $b (DOUBLE[] in the same order).
CREATE OR REPLACE TEMPORARY TABLE _cai_clv_fits AS
SELECT unnest($cutoffs::DATE[]) AS cutoff, unnest($r::DOUBLE[]) AS clv_r, unnest($alpha::DOUBLE[]) AS clv_alpha,
       unnest($a::DOUBLE[]) AS clv_a, unnest($b::DOUBLE[]) AS clv_b;
