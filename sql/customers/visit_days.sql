-- One customer's days with a visit (a live or completed booking) at the clubs in :club_ids (an empty list
-- returns nothing), with the club and the visits that day, oldest first.
select b.date as day, c.name as club, count(*)::integer as visits
from club_bookings b
join clubs c on c.id = b.club_id
where b.user_id = :user_id
  and b.status in ('завершено', 'активно')
  and b.club_id = any(cast(:club_ids as int[]))
group by b.date, c.name
order by b.date, c.name
