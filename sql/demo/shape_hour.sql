-- Bookings by local start hour.
select extract(hour from b.local_start)::int as local_hour, count(*) as bookings
from club_bookings b
group by 1
order by 1
