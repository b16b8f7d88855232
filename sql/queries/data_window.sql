-- The span of the booking history and the latest moment the data knows about (never later than now).
select min(start_time)                 as data_start,
       least(max(created_at), now())   as data_end,
       count(*)                        as bookings
from bookings
