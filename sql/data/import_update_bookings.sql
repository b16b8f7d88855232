-- Stored bookings of this source that the file changes (a visit with neither a named nor a chosen seat keeps
-- the stored one). Returns their keys.
update bookings b
set user_id = u.id, seat_id = coalesce(p.seat_id, v.seat_id, b.seat_id), date = v.local_date,
    start_time = v.start_time, end_time = v.end_time, status = v.status, price = v.price
from import_visits v
left join import_placed p on p.row_no = v.row_no
join users u on u.external_source = :source and u.external_id = v.customer_key
where b.external_source = :source and b.external_id = v.booking_key
  and (b.user_id, b.seat_id, b.date, b.start_time, b.end_time, b.status, b.price)
      is distinct from (u.id, coalesce(p.seat_id, v.seat_id, b.seat_id), v.local_date, v.start_time, v.end_time,
                        v.status, v.price)
returning b.external_id
