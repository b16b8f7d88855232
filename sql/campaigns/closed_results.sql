-- The final results of closed campaigns whose clubs are all among :club_ids, newest first.
select c.id, c.name, c.closed_at, c.result
from campaigns c
where c.closed_at is not null
  and c.result is not null
  and c.club_ids <@ cast(:club_ids as int[])
order by c.closed_at desc
