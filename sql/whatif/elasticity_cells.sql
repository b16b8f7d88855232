-- Data for the price elasticity estimate: per hall, weekday type and local start hour over the
-- :weeks full weeks before :as_of, the hourly-package bookings (not cancelled) that started then,
-- the seat-hours they booked and the list price they paid per hour. Within a hall the price per
-- hour changes only with the time band, so these cells compare demand across the band edges.
-- Bundles and night packages are left out: their price does not follow the band.
with

club_window as (
    select c.id as club_id,
           c.timezone,
           c.opens_at,
           c.closes_at,
           coalesce(cast(:as_of as date), (now() at time zone c.timezone)::date) as end_day,
           greatest(coalesce(cast(:as_of as date), (now() at time zone c.timezone)::date) - 7 * cast(:weeks as int),
                    c.opened_on) as first_day
    from clubs c
    where cardinality(cast(:club_ids as int[])) = 0 or c.id = any(cast(:club_ids as int[]))
),

hall_seats as (
    select h.id as hall_id, h.club_id, h.hall_type, h.hourly_price::float8 as hourly_price,
           count(s.id) filter (where s.is_active) as seats
    from halls h
    join club_window cw on cw.club_id = h.club_id
    left join seats s on s.hall_id = h.id
    group by h.id, h.club_id, h.hall_type, h.hourly_price
),

open_hours as (
    select cw.club_id,
           case when extract(isodow from d.day) >= 6 or d.day::date = any(cast(:holidays as date[]))
                then 'weekend' else 'weekday' end as day_type,
           hr.hour,
           count(*) as occurrences
    from club_window cw
    cross join lateral generate_series(cw.first_day, cw.end_day - 1, interval '1 day') d(day)
    cross join generate_series(0, 23) hr(hour)
    where cw.opens_at = cw.closes_at
       or (cw.opens_at < cw.closes_at and make_time(hr.hour, 0, 0) >= cw.opens_at
           and make_time(hr.hour, 0, 0) < cw.closes_at)
       or (cw.opens_at > cw.closes_at and (make_time(hr.hour, 0, 0) >= cw.opens_at
           or make_time(hr.hour, 0, 0) < cw.closes_at))
    group by 1, 2, 3
),

started as (
    select s.hall_id,
           case when extract(isodow from b.date) >= 6 or b.date = any(cast(:holidays as date[]))
                then 'weekend' else 'weekday' end as day_type,
           extract(hour from b.start_time at time zone cw.timezone)::int as hour,
           count(*) as bookings,
           sum(extract(epoch from b.end_time - b.start_time) / 3600.0)::float8 as seat_hours,
           sum(b.price)::float8 as paid
    from bookings b
    join seats s on s.id = b.seat_id
    join halls h on h.id = s.hall_id
    join club_window cw on cw.club_id = h.club_id
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
       hs.seats::int as seats,
       oh.occurrences::int as occurrences,
       hs.hourly_price,
       coalesce(st.bookings, 0)::int as bookings,
       coalesce(st.seat_hours, 0)::float8 as seat_hours,
       (st.paid / nullif(st.seat_hours, 0))::float8 as price_per_hour
from hall_seats hs
join open_hours oh on oh.club_id = hs.club_id
left join started st on st.hall_id = hs.hall_id and st.day_type = oh.day_type and st.hour = oh.hour
order by hs.hall_id, oh.day_type, oh.hour
