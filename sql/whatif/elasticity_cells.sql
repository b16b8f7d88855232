-- Data for the price elasticity estimate: per hall, weekday type and local start hour over the
-- :weeks full weeks before :as_of (null: each club's local today) at the clubs in :club_ids (an empty
-- list returns nothing), the hourly-package bookings (not cancelled) that started then,
-- the seat-hours they booked and the list price they paid per hour (rollup_hall_hours). Within a hall the
-- price per hour changes only with the time band, so these cells compare demand across the band edges.
-- Bundles and night packages are left out: their price does not follow the band.
with

club_window as materialized (  -- once: club_windows() reads data_as_of(), which reads a table
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
    select r.hall_id,
           case when extract(isodow from r.day) >= 6 or r.day = any(cast(:holidays as date[]))
                then 'weekend' else 'weekday' end as day_type,
           r.hour,
           sum(r.hourly_bookings) as bookings,
           sum(r.hourly_booked_hours)::float8 as seat_hours,
           sum(r.hourly_price)::float8 as paid
    from club_window cw
    join rollup_hall_hours r on r.club_id = cw.club_id and r.day >= cw.first_day and r.day < cw.end_day
    where r.hourly_bookings > 0
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
