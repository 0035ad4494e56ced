-- category_levels: the most frequent values of one profile attribute, each held by at least
-- $min_share of the profiles that have one, at most $limit; these become one-hot features.
-- Grain: one row per level. Parameters: $limit (INTEGER), $min_share (DOUBLE); the placeholder
-- __attribute__ is replaced on the syntax tree by the attribute's quoted column name.
SELECT level
FROM (
    SELECT CAST(p.__attribute__ AS VARCHAR) AS level,
           count(*) AS n,
           count(*) / sum(count(*)) OVER () AS share
    FROM profiles AS p
    WHERE p.__attribute__ IS NOT NULL
    GROUP BY 1
) AS levels
WHERE share >= $min_share
ORDER BY n DESC, level
LIMIT $limit;
