-- Customers who visited each club in the last 60 days, with their visit counts.
select h.club_id, b.user_id, count(*)::int as visits
from bookings b
join seats s on s.id = b.seat_id
join halls h on h.id = s.hall_id
where b.start_time >= now() - interval '60 days'
  and b.status <> 'отменено'
group by h.club_id, b.user_id
