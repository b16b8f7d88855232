-- The file's visits that are already bookings of this source (by key), with what is stored.
select k.row_no, b.id as booking_id, b.seat_id, s.hall_id, b.start_time, b.end_time
from import_keys k
join bookings b on b.external_source = :source and b.external_id = k.booking_key
join seats s on s.id = b.seat_id
