-- training_rows: the labelled snapshot rows of a training run: features of every customer
-- eligible at each cutoff, the label (customers with no event in the window get
-- the label of "goal not met"), and the cutoff's role ('train' or 'validation').
-- Grain: one row per eligible customer and cutoff. Parameters: none; placeholders __cutoffs__
-- (the cutoffs table, with a role per cutoff),
-- __features_rows__ and __label_rows__ are replaced on the syntax tree by the features and labels
-- queries over the cutoffs, __unmet_label__ by the label of a customer who met no condition.
SELECT f.*, coalesce(l.label, __unmet_label__) AS label, c.role
FROM __features_rows__ AS f
JOIN __cutoffs__ AS c ON c.cutoff = f.cutoff
LEFT JOIN __label_rows__ AS l ON l.customer_id = f.customer_id AND l.cutoff = f.cutoff
ORDER BY f.cutoff, f.customer_id;
