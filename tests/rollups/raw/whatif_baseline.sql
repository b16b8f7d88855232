-- What-if baseline: one row per club × hall type × weekday type × local hour (with its time band)
-- over the :weeks full weeks before :as_of (null: each club's local today; the end is exclusive), for
-- the clubs in :club_ids (an empty list returns nothing).
--   bookings           seat-holding bookings (not cancelled) that start in the hour
--   booked_seat_hours  seat-hours those bookings hold, split over the local hours they cover
--   revenue            successful payments of the window's bookings, spread over the hours they cover
--   open_seat_hours    active seats × the hours the club was open (0 for hours it was closed)
-- A day is 'weekend' on Saturday, Sunday or a date in :holidays. Bookings are taken by their local
-- start date (bookings.date), so a session that starts on the last evening is counted whole.
with

club_window as (
    select w.club_id, w.club_name, w.timezone, w.first_day, w.end_day
    from club_windows(cast(:as_of as date) - 7 * cast(:weeks as int), cast(:as_of as date) - 1,
                      7 * cast(:weeks as int)) w
    where w.club_id = any(cast(:club_ids as int[]))
),

type_seats as (
    select hs.club_id, hs.hall_type, sum(hs.seats) as seats
    from hall_seats hs
    join club_window cw on cw.club_id = hs.club_id
    group by hs.club_id, hs.hall_type
),

window_days as (
    select cw.club_id,
           d.day::date as day,
           case when extract(isodow from d.day) >= 6 or d.day::date = any(cast(:holidays as date[]))
                then 'weekend' else 'weekday' end as day_type
    from club_window cw
    cross join lateral generate_series(cw.first_day, cw.end_day - 1, interval '1 day') d(day)
),

day_counts as (
    select club_id, day_type, count(*) as days
    from window_days
    group by club_id, day_type
),

open_hours as (  -- how often each local hour of each weekday type was open in the window
    select wd.club_id, wd.day_type, oh.hour, count(*) as occurrences
    from window_days wd
    join club_open_hours oh on oh.club_id = wd.club_id and oh.is_open
    group by wd.club_id, wd.day_type, oh.hour
),

window_bookings as (
    select b.booking_id as id,
           b.status,
           b.club_id,
           b.hall_type,
           b.local_start,
           b.local_end,
           extract(epoch from b.end_time - b.start_time) / 3600.0 as hours
    from club_bookings b
    join club_window cw on cw.club_id = b.club_id
    where b.date >= cw.first_day
      and b.date < cw.end_day
      and b.start_time >= (select min(first_day) from club_window) - interval '2 days'  -- index-friendly superset
      and b.start_time < (select max(end_day) from club_window) + interval '2 days'
),

booking_revenue as (
    select p.booking_id, sum(p.amount)::float8 as revenue
    from payments p
    join window_bookings wb on wb.id = p.booking_id
    where p.payment_status = 'успешно'
    group by p.booking_id
),

hour_parts as (  -- a 19:30-22:00 booking gives 0.5 h to hour 19, 1 h to 20 and 1 h to 21
    select wb.club_id,
           wb.hall_type,
           g.slot::date as day,
           extract(hour from g.slot)::int as hour,
           wb.status,
           g.slot = date_trunc('hour', wb.local_start) as is_start,
           extract(epoch from least(wb.local_end, g.slot + interval '1 hour') - greatest(wb.local_start, g.slot))
               / 3600.0 as part_hours,
           wb.hours,
           coalesce(br.revenue, 0) as revenue
    from window_bookings wb
    left join booking_revenue br on br.booking_id = wb.id
    cross join lateral generate_series(date_trunc('hour', wb.local_start), wb.local_end - interval '1 microsecond',
                                       interval '1 hour') g(slot)
),

booked as (
    select hp.club_id,
           hp.hall_type,
           case when extract(isodow from hp.day) >= 6 or hp.day = any(cast(:holidays as date[]))
                then 'weekend' else 'weekday' end as day_type,
           hp.hour,
           count(*) filter (where hp.is_start and hp.status <> 'отменено') as bookings,
           coalesce(sum(hp.part_hours) filter (where hp.status <> 'отменено'), 0)::float8 as booked_seat_hours,
           sum(hp.revenue * hp.part_hours / hp.hours)::float8 as revenue
    from hour_parts hp
    group by 1, 2, 3, 4
),

grid as (  -- every hour of every hall type and weekday type (closed hours have no open seat-hours)
    select ts.club_id, ts.hall_type, dc.day_type, hr.hour
    from type_seats ts
    join day_counts dc on dc.club_id = ts.club_id
    cross join generate_series(0, 23) hr(hour)
    union
    select club_id, hall_type, day_type, hour from booked
)

select g.club_id,
       cw.club_name,
       g.hall_type,
       g.day_type,
       g.hour,
       hb.band,
       hb.price_factor,
       coalesce(ts.seats, 0)::int as seats,
       coalesce(oh.occurrences, 0)::int as occurrences,
       coalesce(dc.days, 0)::int as days,
       (cw.end_day - cw.first_day)::int as window_days,
       cw.first_day,
       cw.end_day,
       coalesce(bk.bookings, 0)::int as bookings,
       coalesce(bk.booked_seat_hours, 0)::float8 as booked_seat_hours,
       (coalesce(ts.seats, 0) * coalesce(oh.occurrences, 0))::float8 as open_seat_hours,
       coalesce(bk.revenue, 0)::float8 as revenue
from grid g
join club_window cw on cw.club_id = g.club_id
join hour_bands hb on hb.hour = g.hour
left join type_seats ts on ts.club_id = g.club_id and ts.hall_type = g.hall_type
left join open_hours oh on oh.club_id = g.club_id and oh.day_type = g.day_type and oh.hour = g.hour
left join day_counts dc on dc.club_id = g.club_id and dc.day_type = g.day_type
left join booked bk on bk.club_id = g.club_id and bk.hall_type = g.hall_type
                   and bk.day_type = g.day_type and bk.hour = g.hour
order by g.club_id, g.hall_type, g.day_type, g.hour
