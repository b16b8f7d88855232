-- The active model version and when it was trained and activated (for the sidebar's freshness line), with
-- its metrics and row counts (for the quality shown on the pages).
select
    v.version,
    v.trained_at,
    v.activated_at,
    v.data_end,
    now() - v.trained_at as age,
    (v.metrics -> 'churn' ->> 'roc_auc')::float8 as churn_auc,
    (v.metrics -> 'forecast' ->> 'smape')::float8 as forecast_smape,
    v.metrics,
    v.row_counts
from model_versions v
where v.status = 'active'
