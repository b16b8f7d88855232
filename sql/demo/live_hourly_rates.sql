-- Bookings per hour for each club and local hour of the week (Monday 00:00 = 0), last four weeks.
with recent as (
    select b.club_id,
           (extract(isodow from b.local_start)::int - 1) * 24 + extract(hour from b.local_start)::int as hour_of_week
    from club_bookings b
    where b.start_time >= now() - interval '28 days'
      and b.start_time < now()
),
counts as (
    select club_id, hour_of_week, count(*) / 4.0 as per_hour
    from recent
    group by club_id, hour_of_week
)
select c.id as club_id,
       c.timezone,
       array(
           select coalesce(k.per_hour, 0)::float8
           from generate_series(0, 167) as g
           left join counts k on k.club_id = c.id and k.hour_of_week = g
           order by g
       ) as per_hour
from clubs c
order by c.id
