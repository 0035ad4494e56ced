-- clv_summary_counts: what a lifetime-value fit is fitted on — purchasers, repeat buyers, repeat
-- buyers with positive spend, repeat purchase days left out of the spend model (zero, negative
-- or missing amount) and repeat buyers left with no spend day. Grain: one row. Parameters: none.
SELECT
    count(*),
    count(*) FILTER (WHERE frequency > 0),
    count(*) FILTER (WHERE spend_days > 0),
    sum(excluded_days),
    count(*) FILTER (WHERE frequency > 0 AND spend_days = 0)
FROM _cai_clv_summary;
