-- "Now" for the data (data_as_of()) and whether the history ends in the past (then it is the latest
-- booking's start rather than the clock).
select data_as_of() as as_of,
       data_as_of() < now() as ended,
       (select max(start_time) from bookings where start_time <= now()) as last_start
