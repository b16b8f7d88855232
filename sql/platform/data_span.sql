-- The latest moment the data knows about (the last booking made, never later than data_as_of(): the
-- clock while the data is live, the latest booking's start when the history ends in the past), the
-- first booking's start, and how many bookings there are.
select least(max(created_at), (select data_as_of())) as data_end,
       min(start_time) as data_start,
       count(*) as bookings
from club_bookings
