-- Revenue of each club on each complete club-local day (today is still running), from rollup_club_days:
-- successful payments of the bookings dated that day. Days without revenue are left out. "Today" is the
-- local date at data_as_of(). Only the clubs in :club_ids (an empty list returns nothing).
with

club as materialized (  -- once: data_as_of() reads a table
    select c.id as club_id, (n.at at time zone c.timezone)::date as local_today
    from clubs c
    cross join (select data_as_of() as at) n
    where c.id = any(cast(:club_ids as int[]))
)

select d.day, d.club_id, d.revenue::float8 as revenue
from club cl
join rollup_club_days d on d.club_id = cl.club_id and d.day < cl.local_today
where d.revenue <> 0
order by d.day, d.club_id
