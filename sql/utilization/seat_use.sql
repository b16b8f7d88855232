-- How much each seat was used over the club-local days :start_day .. :end_day (inclusive):
-- booked seat-hours (not cancelled) within the window against the hours its club was open.
with

club_window as (
    select
        c.id as club_id,
        c.timezone,
        c.opens_at,
        c.closes_at,
        greatest(cast(:start_day as date), c.opened_on) as first_day,
        least(cast(:end_day as date), (now() at time zone c.timezone)::date) + 1 as end_day  -- exclusive
    from clubs c
),

club_bounds as (  -- the window as instants, computed once per club
    select
        cw.club_id,
        cw.first_day::timestamp at time zone cw.timezone as first_ts,
        cw.end_day::timestamp at time zone cw.timezone as end_ts
    from club_window cw
),

open_hours as (
    select cw.club_id, count(*) as hours
    from club_window cw
    cross join lateral generate_series(cw.first_day, cw.end_day - 1, interval '1 day') as d(day)
    cross join generate_series(0, 23) as hr(hour)
    where cw.opens_at = cw.closes_at
       or (cw.opens_at < cw.closes_at and make_time(hr.hour, 0, 0) >= cw.opens_at
           and make_time(hr.hour, 0, 0) < cw.closes_at)
       or (cw.opens_at > cw.closes_at and (make_time(hr.hour, 0, 0) >= cw.opens_at
           or make_time(hr.hour, 0, 0) < cw.closes_at))
    group by cw.club_id
),

seat_bookings as (
    select
        b.seat_id,
        count(*) as bookings,
        sum(date_part('epoch', least(b.end_time, cb.end_ts) - greatest(b.start_time, cb.first_ts))) / 3600.0
            as booked_hours
    from bookings b
    join seats s on s.id = b.seat_id
    join halls h on h.id = s.hall_id
    join club_bounds cb on cb.club_id = h.club_id
    where b.status <> 'отменено'
      and b.start_time >= cast(:start_day as date) - interval '2 days'
      and b.start_time < cast(:end_day as date) + interval '2 days'
      and b.end_time > cb.first_ts
      and b.start_time < cb.end_ts
    group by b.seat_id
)

select
    h.club_id,
    h.id as hall_id,
    h.name as hall_name,
    h.hall_type,
    s.id as seat_id,
    s.label as seat_label,
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
order by h.club_id, h.id, s.label
