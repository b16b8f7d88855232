-- Data health: each club's days with visits (live or completed bookings, by club-local date) between
-- its first and its last one, and the days in between without any. Only the clubs in :club_ids (an
-- empty list returns nothing).
with days as (
    select cb.club_id, cb.date as day, count(*) as visits
    from club_bookings cb
    where cb.club_id = any(cast(:club_ids as int[]))
      and cb.status in ('завершено', 'активно')
    group by cb.club_id, cb.date
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
