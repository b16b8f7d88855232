-- Every club with its local "today", opening hours and active seats (for the sidebar and the pages).
with

seat_counts as (
    select h.club_id, count(s.id) filter (where s.is_active) as seats, count(distinct h.id) as halls
    from halls h
    left join seats s on s.hall_id = h.id
    group by h.club_id
)

select
    c.id as club_id,
    c.name as club_name,
    c.city,
    c.timezone,
    c.opens_at,
    c.closes_at,
    c.opened_on,
    (now() at time zone c.timezone)::date as local_today,
    coalesce(sc.seats, 0)::integer as seats,
    coalesce(sc.halls, 0)::integer as halls
from clubs c
left join seat_counts sc on sc.club_id = c.id
order by c.name
