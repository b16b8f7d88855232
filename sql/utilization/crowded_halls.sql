-- Halls whose busiest weekday-hour over the last 12 weeks (the 84 complete club-local days before each club's
-- local today) is at or above a utilization threshold: booked seat-hours over open seat-hours, per hall,
-- local weekday and hour, from rollup_hall_hours.
with

club_window as materialized (  -- once: club_windows() reads data_as_of(), which reads a table
    select club_id, first_day, end_day
    from club_windows(null, null, 84)
),

cells as (
    select r.club_id, r.hall_id, extract(isodow from r.day)::int as dow, r.hour,
           sum(r.booked_seat_hours) as booked, sum(r.open_seat_hours) as open
    from rollup_hall_hours r
    join club_window w on w.club_id = r.club_id
    where r.day >= w.first_day and r.day < w.end_day
    group by r.club_id, r.hall_id, extract(isodow from r.day), r.hour
),

peaks as (
    select c.club_id, c.hall_id, h.hall_type, max(c.booked / c.open) as peak_utilization
    from cells c
    join halls h on h.id = c.hall_id
    where c.open > 0
    group by c.club_id, c.hall_id, h.hall_type
)

select club_id, hall_type, peak_utilization
from peaks
where peak_utilization >= :threshold
