-- Data health: runs of at least :min_days club-local days without a visit inside a club's history,
-- the longest first (at most :limit), from rollup_club_days. Only the clubs in :club_ids (an empty list
-- returns nothing).
with days as (
    select d.club_id, d.day
    from rollup_club_days d
    where d.club_id = any(cast(:club_ids as int[]))
      and d.visits > 0
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
