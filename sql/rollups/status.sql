-- How current the rollups are: the days and customers' months still queued, the oldest queued change, and
-- the last refresh (when it finished, how long it took, what it rebuilt).
select
    (select count(*) from (select distinct club_id, day from rollup_changes) q) as pending_days,
    (select count(*) from (select distinct user_id, month from rollup_customer_changes) q) as pending_months,
    least((select min(queued_at) from rollup_changes), (select min(queued_at) from rollup_customer_changes))
        as oldest_change,
    l.refreshed_at,
    l.seconds,
    l.row_count as rebuilt
from (select 1) one
left join mv_refresh_log l on l.view_name = 'rollups'
