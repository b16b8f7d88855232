-- Data quality: bookings whose payments do not match them (the view `payment_mismatches`, migration 013).
-- A kept booking has exactly one settled payment (successful, or refunded later) for its price;
-- a cancelled booking keeps no money.
select booking_id, status, price, settled, kept, total, problem
from payment_mismatches
order by booking_id
