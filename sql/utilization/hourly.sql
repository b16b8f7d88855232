-- Seat utilization of every hall by club-local ISO weekday (1 = Monday) and local hour, over the
-- club-local days :start_day .. :end_day (inclusive): the seat-hours held (bookings not cancelled, spread
-- over the hours they cover) from rollup_hall_hours; only hours when the club is open count as capacity.
-- Only the clubs in :club_ids (an empty list returns nothing).
with

club_window as materialized (  -- once: club_windows() reads data_as_of(), which reads a table
    select w.club_id, w.first_day, w.end_day  -- end_day exclusive
    from club_windows(cast(:start_day as date), cast(:end_day as date)) w
    where w.club_id = any(cast(:club_ids as int[]))
),

open_slots as (  -- how often each weekday-hour occurred in the window while the club was open
    select
        cw.club_id,
        extract(isodow from d.day)::integer as dow,
        oh.hour,
        count(*) as occurrences
    from club_window cw
    cross join lateral generate_series(cw.first_day, cw.end_day - 1, interval '1 day') as d(day)
    join club_open_hours oh on oh.club_id = cw.club_id and oh.is_open
    group by cw.club_id, extract(isodow from d.day), oh.hour
),

booked as (
    select r.hall_id, extract(isodow from r.day)::integer as dow, r.hour, sum(r.booked_seat_hours) as booked_seat_hours
    from club_window cw
    join rollup_hall_hours r on r.club_id = cw.club_id and r.day >= cw.first_day and r.day < cw.end_day
    group by r.hall_id, extract(isodow from r.day), r.hour
)

select
    hs.club_id,
    hs.hall_id,
    hs.hall_name,
    hs.hall_type,
    os.dow,
    os.hour,
    coalesce(bk.booked_seat_hours, 0)::float8 as booked_seat_hours,
    hs.seats,
    os.occurrences::integer as occurrences,
    (coalesce(bk.booked_seat_hours, 0) / nullif(hs.seats * os.occurrences, 0))::float8 as utilization
from hall_seats hs
join open_slots os on os.club_id = hs.club_id
left join booked bk on bk.hall_id = hs.hall_id and bk.dow = os.dow and bk.hour = os.hour
order by hs.club_id, hs.hall_id, os.dow, os.hour
