-- training_cutoffs: the cutoff dates of one training run, in the temporary table _cai_cutoffs
-- (role 'train' or 'validation'). Grain: one row per cutoff. Parameters: $cutoffs (DATE[]), $roles (VARCHAR[]).
CREATE OR REPLACE TEMPORARY TABLE _cai_cutoffs AS
SELECT unnest($cutoffs::DATE[]) AS cutoff, unnest($roles::VARCHAR[]) AS role;
