-- Data health: each club's days with visits (live or completed bookings, by club-local date) between
-- its first and its last one, and the days in between without any (rollup_club_days). Only the clubs in
-- :club_ids (an empty list returns nothing).
with days as (
    select d.club_id, d.day, d.visits
    from rollup_club_days d
    where d.club_id = any(cast(:club_ids as int[]))
      and d.visits > 0
)
select c.id as club_id,
       c.name as club_name,
       min(d.day) as first_day,
       max(d.day) as last_day,
       count(d.day)::integer as days_with_visits,
       coalesce(max(d.day) - min(d.day) + 1 - count(d.day), 0)::integer as days_without_visits,
       coalesce(sum(d.visits), 0)::bigint as visits
from clubs c
left join days d on d.club_id = c.id
where c.id = any(cast(:club_ids as int[]))
group by c.id, c.name
order by c.name
