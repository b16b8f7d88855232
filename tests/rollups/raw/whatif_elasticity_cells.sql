-- Data for the price elasticity estimate: per hall, weekday type and local start hour over the
-- :weeks full weeks before :as_of (null: each club's local today) at the clubs in :club_ids (an empty
-- list returns nothing), the hourly-package bookings (not cancelled) that started then,
-- the seat-hours they booked and the list price they paid per hour. Within a hall the price per
-- hour changes only with the time band, so these cells compare demand across the band edges.
-- Bundles and night packages are left out: their price does not follow the band.
with

club_window as (
    select w.club_id, w.first_day, w.end_day
    from club_windows(cast(:as_of as date) - 7 * cast(:weeks as int), cast(:as_of as date) - 1,
                      7 * cast(:weeks as int)) w
    where w.club_id = any(cast(:club_ids as int[]))
),

open_hours as (
    select cw.club_id,
           case when extract(isodow from d.day) >= 6 or d.day::date = any(cast(:holidays as date[]))
                then 'weekend' else 'weekday' end as day_type,
           oh.hour,
           count(*) as occurrences
    from club_window cw
    cross join lateral generate_series(cw.first_day, cw.end_day - 1, interval '1 day') d(day)
    join club_open_hours oh on oh.club_id = cw.club_id and oh.is_open
    group by 1, 2, 3
),

started as (
    select b.hall_id,
           case when extract(isodow from b.date) >= 6 or b.date = any(cast(:holidays as date[]))
                then 'weekend' else 'weekday' end as day_type,
           extract(hour from b.local_start)::int as hour,
           count(*) as bookings,
           sum(extract(epoch from b.end_time - b.start_time) / 3600.0)::float8 as seat_hours,
           sum(b.price)::float8 as paid
    from club_bookings b
    join club_window cw on cw.club_id = b.club_id
    where b.status <> 'отменено'
      and b.package = 'hourly'
      and b.date >= cw.first_day
      and b.date < cw.end_day
      and b.start_time >= (select min(first_day) from club_window) - interval '2 days'
      and b.start_time < (select max(end_day) from club_window) + interval '2 days'
    group by 1, 2, 3
)

select hs.club_id,
       hs.hall_id,
       hs.hall_type,
       oh.day_type,
       oh.hour,
       hs.seats,
       oh.occurrences::int as occurrences,
       hs.hourly_price::float8 as hourly_price,
       coalesce(st.bookings, 0)::int as bookings,
       coalesce(st.seat_hours, 0)::float8 as seat_hours,
       (st.paid / nullif(st.seat_hours, 0))::float8 as price_per_hour
from hall_seats hs
join open_hours oh on oh.club_id = hs.club_id  -- only the clubs of the window
left join started st on st.hall_id = hs.hall_id and st.day_type = oh.day_type and st.hour = oh.hour
order by hs.hall_id, oh.day_type, oh.hour
