-- The latest moment the data knows about (never later than now), the first booking's start,
-- and how many bookings there are.
select least(max(created_at), now()) as data_end,
       min(start_time) as data_start,
       count(*) as bookings
from club_bookings
