-- Every model version, newest first, with its headline metrics.
select version,
       status,
       trained_at,
       trained_by,
       data_start,
       data_end,
       (metrics -> 'churn' ->> 'roc_auc')::float8         as churn_auc,
       (metrics -> 'churn' -> 'baselines' -> 'recency' ->> 'roc_auc')::float8 as recency_auc,
       (metrics -> 'churn' ->> 'brier')::float8           as churn_brier,
       (metrics -> 'forecast' ->> 'mase')::float8         as forecast_mase,
       (metrics -> 'forecast' ->> 'coverage_80')::float8  as forecast_coverage_80,
       (row_counts ->> 'customers')::int                  as customers,
       activated_at,
       notes,
       metrics,
       row_counts,
       library_versions,
       files,
       exists (select 1 from customer_scores s where s.version = v.version) as has_scores
from model_versions v
order by trained_at desc
