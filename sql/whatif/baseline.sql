-- What-if baseline: one row per club × hall type × weekday type × local hour (with its time band)
-- over the :weeks full weeks before :as_of (null: each club's local today; the end is exclusive), for
-- the clubs in :club_ids (an empty list returns nothing), from rollup_hall_hours:
--   bookings           seat-holding bookings (not cancelled) that start in the hour
--   booked_seat_hours  seat-hours those bookings hold, split over the local hours they cover
--   revenue            successful payments of the window's bookings, spread over the hours they cover
--   open_seat_hours    active seats × the hours the club was open (0 for hours it was closed)
-- A day is 'weekend' on Saturday, Sunday or a date in :holidays. Bookings are taken by their local
-- start date, so a session that starts on the last evening is counted whole: a window day's own parts,
-- and the parts carried into the day after it; not the parts carried into its first day from the day before.
with

club_window as materialized (  -- once: club_windows() reads data_as_of(), which reads a table
    select w.club_id, w.club_name, w.first_day, w.end_day
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

hours as (  -- the window's bookings in each hour: own parts of its days, carried parts of the days after them
    select r.club_id,
           hs.hall_type,
           case when extract(isodow from r.day) >= 6 or r.day = any(cast(:holidays as date[]))
                then 'weekend' else 'weekday' end as day_type,
           r.hour,
           case when r.day < cw.end_day then r.bookings else 0 end as bookings,
           case when r.day < cw.end_day then r.booked_seat_hours - r.carried_seat_hours else 0 end
               + case when r.day > cw.first_day then r.carried_seat_hours else 0 end as booked_seat_hours,
           case when r.day < cw.end_day then r.revenue_paid - r.carried_revenue_paid else 0 end
               + case when r.day > cw.first_day then r.carried_revenue_paid else 0 end as revenue
    from club_window cw
    join rollup_hall_hours r on r.club_id = cw.club_id and r.day >= cw.first_day and r.day <= cw.end_day
    join hall_seats hs on hs.hall_id = r.hall_id
),

booked as (
    select club_id, hall_type, day_type, hour,
           sum(bookings) as bookings, sum(booked_seat_hours) as booked_seat_hours, sum(revenue) as revenue,
           bool_or(bookings > 0 or booked_seat_hours <> 0 or revenue <> 0) as any_booking
    from hours
    group by club_id, hall_type, day_type, hour
),

grid as (  -- every hour of every hall type and weekday type (closed hours have no open seat-hours)
    select ts.club_id, ts.hall_type, dc.day_type, hr.hour
    from type_seats ts
    join day_counts dc on dc.club_id = ts.club_id
    cross join generate_series(0, 23) hr(hour)
    union
    select club_id, hall_type, day_type, hour from booked where any_booking
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
