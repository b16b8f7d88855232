-- Data quality: bookings that overlap an earlier booking of the same seat (the view `seat_overlaps`,
-- migration 013). Cancelled bookings do not hold a seat.
select booking_id, seat_id, start_time, end_time, previous_end
from seat_overlaps
order by seat_id, start_time
