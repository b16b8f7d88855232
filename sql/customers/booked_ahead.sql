-- Bookings made before :cutoff for a time at or after it, per customer (whatever their status is now:
-- a cancellation may have come after the cutoff, and the features must not see it).
select user_id, count(*) as booked_ahead
from club_bookings  -- times as instants, also on a chain's own tables
where start_time >= :cutoff
  and created_at < :cutoff
group by user_id
