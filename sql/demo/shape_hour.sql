-- Bookings by local start hour.
select extract(hour from b.start_time at time zone c.timezone)::int as local_hour, count(*) as bookings
from bookings b
join seats s on s.id = b.seat_id
join halls h on h.id = s.hall_id
join clubs c on c.id = h.club_id
group by 1
order by 1
