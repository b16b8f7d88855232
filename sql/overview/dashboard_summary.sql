-- The chain-wide live KPIs of the SQL function ai_dashboard_summary() (migration 009).
select
    metric_name,
    metric_category,
    current_value::float8 as current_value,
    predicted_value::float8 as predicted_value,
    confidence_level::float8 as confidence_level,
    alert_level
from ai_dashboard_summary()
