-- The live KPIs of the SQL function ai_dashboard_summary(club_ids) (migration 010) for the clubs in
-- :club_ids (an empty list sees nothing).
select
    metric_name,
    metric_category,
    current_value::float8 as current_value,
    predicted_value::float8 as predicted_value,
    confidence_level::float8 as confidence_level,
    alert_level
from ai_dashboard_summary(cast(:club_ids as int[]))
