-- Data health: runs of at least :min_days club-local days without a visit inside a club's history,
-- the longest first (at most :limit). Only the clubs in :club_ids (an empty list returns nothing).
with days as (
    select distinct cb.club_id, cb.date as day
    from club_bookings cb
    where cb.club_id = any(cast(:club_ids as int[]))
      and cb.status in ('завершено', 'активно')
),
runs as (
    select club_id, day, lead(day) over (partition by club_id order by day) as next_day
    from days
)
select r.club_id, c.name as club_name, r.day + 1 as first_day, r.next_day - 1 as last_day,
       (r.next_day - r.day - 1)::integer as days
from runs r
join clubs c on c.id = r.club_id
where r.next_day - r.day - 1 >= :min_days
order by days desc, r.club_id, first_day
limit :limit
