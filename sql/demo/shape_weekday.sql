-- Average bookings per day for each ISO weekday, in each club's local time.
with daily as (
    select b.date, count(*) as bookings
    from bookings b
    group by b.date
)
select extract(isodow from date)::int as dow, avg(bookings)::float8 as bookings_per_day
from daily
group by 1
order by 1
