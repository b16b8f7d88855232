-- The file's new visits (no booking of this source has their key), on the seat they name or the one the
-- importer chose. A visit is taken as booked when it started (never later than now).
insert into bookings (user_id, seat_id, date, start_time, end_time, status, package, price, created_at,
                      external_source, external_id)
select u.id, coalesce(p.seat_id, v.seat_id), v.local_date, v.start_time, v.end_time, v.status, 'hourly', v.price,
       least(v.start_time, now()), :source, v.booking_key
from import_visits v
left join import_placed p on p.row_no = v.row_no
join users u on u.external_source = :source and u.external_id = v.customer_key
where not exists (select 1 from bookings b where b.external_source = :source and b.external_id = v.booking_key)
