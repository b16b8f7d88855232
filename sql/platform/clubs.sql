-- The clubs in :club_ids with their local "today" (at data_as_of()), opening hours and active seats,
-- for the sidebar and the pages. An empty list returns nothing.
select
    c.id as club_id,
    c.name as club_name,
    c.city,
    c.timezone,
    c.opens_at,
    c.closes_at,
    c.opened_on,
    (n.at at time zone c.timezone)::date as local_today,
    cs.seats,
    cs.halls
from clubs c
join club_seats cs on cs.club_id = c.id
cross join (select data_as_of() as at) n
where c.id = any(cast(:club_ids as int[]))
order by c.name
