-- drop_run_features: removes a scoring run's temporary feature table. Grain: none. Parameters: none.
DROP TABLE IF EXISTS temp._cai_run_features;
