-- The latest moment the data knows about (never later than now) and the first booking's start.
select least(max(created_at), now()) as data_end,
       min(start_time) as data_start
from bookings
