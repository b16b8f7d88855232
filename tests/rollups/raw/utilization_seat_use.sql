-- How much each seat was used over the club-local days :start_day .. :end_day (inclusive):
-- booked seat-hours (not cancelled) within the window against the hours its club was open.
-- Only the clubs in :club_ids (an empty list returns nothing).
with

club_window as (
    select w.club_id, w.first_day, w.end_day, w.first_ts, w.end_ts
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
        b.seat_id,
        count(*) as bookings,
        sum(date_part('epoch', least(b.end_time, cw.end_ts) - greatest(b.start_time, cw.first_ts))) / 3600.0
            as booked_hours
    from club_bookings b
    join club_window cw on cw.club_id = b.club_id
    where b.status <> 'отменено'
      and b.start_time >= cast(:start_day as date) - interval '2 days'
      and b.start_time < cast(:end_day as date) + interval '2 days'
      and b.end_time > cw.first_ts
      and b.start_time < cw.end_ts
    group by b.seat_id
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
