-- How much each seat was used over the club-local days :start_day .. :end_day (inclusive), from
-- rollup_seat_days: booked seat-hours (not cancelled) within the window against the hours its club was open,
-- and the bookings that touch the window (those starting in it, and those running into its first day).
-- Only the clubs in :club_ids (an empty list returns nothing).
with

club_window as materialized (  -- once: club_windows() reads data_as_of(), which reads a table
    select w.club_id, w.first_day, w.end_day
    from club_windows(cast(:start_day as date), cast(:end_day as date)) w
    where w.club_id = any(cast(:club_ids as int[]))
),

open_hours as (
    select cw.club_id, count(*) as hours
    from club_window cw
    cross join lateral generate_series(cw.first_day, cw.end_day - 1, interval '1 day') as d(day)
    join club_open_hours oh on oh.club_id = cw.club_id and oh.is_open
    group by cw.club_id
),

seat_bookings as (
    select
        sd.seat_id,
        sum(sd.bookings) + coalesce(sum(sd.carried_bookings) filter (where sd.day = cw.first_day), 0) as bookings,
        sum(sd.booked_hours) as booked_hours
    from club_window cw
    join rollup_seat_days sd on sd.club_id = cw.club_id and sd.day >= cw.first_day and sd.day < cw.end_day
    group by sd.seat_id
)

select
    h.club_id,
    h.id as hall_id,
    h.name as hall_name,
    h.hall_type,
    s.id as seat_id,
    coalesce(s.label, '#' || s.id) as seat_label,
    s.device,
    coalesce(sb.bookings, 0)::integer as bookings,
    coalesce(sb.booked_hours, 0)::float8 as booked_hours,
    coalesce(oh.hours, 0)::integer as open_hours,
    (coalesce(sb.booked_hours, 0) / nullif(oh.hours, 0))::float8 as utilization
from seats s
join halls h on h.id = s.hall_id
left join open_hours oh on oh.club_id = h.club_id
left join seat_bookings sb on sb.seat_id = s.id
where s.is_active
  and h.club_id = any(cast(:club_ids as int[]))
order by h.club_id, h.id, seat_label
