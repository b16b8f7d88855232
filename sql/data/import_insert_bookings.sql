-- The file's new visits. A visit is taken as booked when it started (never later than now).
insert into bookings (user_id, seat_id, date, start_time, end_time, status, package, price, created_at,
                      external_source, external_id)
select u.id, v.seat_id, v.local_date, v.start_time, v.end_time, v.status, 'hourly', v.price,
       least(v.start_time, now()), :source, v.booking_key
from import_visits v
join users u on u.external_source = :source and u.external_id = v.customer_key
where v.is_new
