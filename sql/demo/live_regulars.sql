-- Customers who visited each club in the last 60 days, with their visit counts.
select b.club_id, b.user_id, count(*)::int as visits
from club_bookings b
where b.start_time >= now() - interval '60 days'
  and b.status <> 'отменено'
group by b.club_id, b.user_id
