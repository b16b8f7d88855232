-- Saved scenarios, newest first, with the headline numbers of their results.
select id,
       name,
       author,
       created_at,
       (result -> 'total' ->> 'revenue_base')::float8 as revenue_base,
       (result -> 'total' ->> 'revenue')::float8 as revenue,
       (result -> 'total' ->> 'revenue_change_pct')::float8 as revenue_change_pct,
       (result -> 'total' ->> 'utilization_base')::float8 as utilization_base,
       (result -> 'total' ->> 'utilization')::float8 as utilization,
       result ->> 'summary' as summary
from scenarios
order by created_at desc, id desc
