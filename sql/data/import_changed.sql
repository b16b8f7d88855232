-- Visits imported before whose times changed, or whose file now names another seat: they need a seat again.
select k.row_no, b.id as booking_id
from import_keys k
join bookings b on b.external_source = :source and b.external_id = k.booking_key
where (b.start_time, b.end_time) is distinct from (k.start_time, k.end_time)
   or (k.seat_id is not null and k.seat_id <> b.seat_id)
