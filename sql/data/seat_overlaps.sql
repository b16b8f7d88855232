-- Data quality: bookings that overlap an earlier booking of the same seat.
-- Cancelled bookings do not hold a seat.
with live as (
    select id, seat_id, start_time, end_time,
           max(end_time) over (
               partition by seat_id order by start_time, id
               rows between unbounded preceding and 1 preceding
           ) as previous_end
    from bookings
    where status <> 'отменено'
)
select id as booking_id, seat_id, start_time, end_time, previous_end
from live
where start_time < previous_end
order by seat_id, start_time
