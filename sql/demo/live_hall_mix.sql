-- Each hall's share of its club's bookings over the last four weeks, with its price.
select h.id as hall_id,
       h.club_id,
       h.hourly_price::float8 as hourly_price,
       greatest(count(b.id), 1)::float8 as share
from halls h
left join seats s on s.hall_id = h.id
left join bookings b on b.seat_id = s.id and b.start_time >= now() - interval '28 days'
group by h.id, h.club_id, h.hourly_price
order by h.id
