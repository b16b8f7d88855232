-- Bookings that hold a seat in some halls between two moments (the seats an import must not reuse),
-- apart from the bookings the import moves.
select s.hall_id, b.seat_id, b.start_time, b.end_time
from bookings b
join seats s on s.id = b.seat_id
where s.hall_id = any(cast(:hall_ids as int[]))
  and b.status <> 'отменено'
  and b.start_time < :until
  and b.end_time > :since
  and b.id <> all(cast(:moving as bigint[]))
