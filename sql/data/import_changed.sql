-- Visits imported before whose times changed, or whose file now names another seat: they need a seat again.
select v.row_no, b.id as booking_id
from import_visits v
join bookings b on b.external_source = :source and b.external_id = v.booking_key
where (b.start_time, b.end_time) is distinct from (v.start_time, v.end_time)
   or (v.seat_id is not null and v.seat_id <> b.seat_id)
