-- Saved scenarios, newest first, with the headline numbers of their results: those an account of the
-- whole chain (:whole_chain) may see, or whose clubs all lie in :club_ids (a scenario of no club is
-- chain-wide and hidden from a club-scoped account).
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
where :whole_chain or (cardinality(club_ids) > 0 and club_ids <@ cast(:club_ids as int[]))
order by created_at desc, id desc
