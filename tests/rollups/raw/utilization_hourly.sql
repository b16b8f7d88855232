-- Seat utilization of every hall by club-local ISO weekday (1 = Monday) and local hour, over the
-- club-local days :start_day .. :end_day (inclusive). Bookings that hold a seat (not cancelled) are
-- spread over the hours they cover; only hours when the club is open count as capacity.
-- Only the clubs in :club_ids (an empty list returns nothing).
with

club_window as (  -- the window as local days, instants, and local wall-clock hours since 1970 (for hour slots)
    select
        w.club_id,
        w.timezone,
        w.first_day,
        w.end_day,  -- exclusive
        w.first_ts,
        w.end_ts,
        date_part('epoch', w.first_day::timestamp) / 3600.0 as first_hour,
        date_part('epoch', w.end_day::timestamp) / 3600.0 as end_hour
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

window_bookings as materialized (  -- seat-holding bookings cut to the window, in local wall-clock hours since
                                   -- 1970; one index range scan on start_time (the rows lie in time order)
    select
        b.hall_id,
        greatest(date_part('epoch', b.local_start) / 3600.0, cw.first_hour) as t0,
        least(date_part('epoch', b.local_end) / 3600.0, cw.end_hour) as t1
    from club_bookings b
    join club_window cw on cw.club_id = b.club_id
    where b.start_time >= cast(:start_day as date) - interval '2 days'
      and b.start_time < cast(:end_day as date) + interval '2 days'
      and b.status <> 'отменено'
      and b.end_time > cw.first_ts
      and b.start_time < cw.end_ts
),

spans as materialized (  -- first and last hour slot a booking touches (slot n = hour n since 1970-01-01 local)
    select hall_id, t0, t1, floor(t0)::bigint as first_slot, (ceil(t1) - 1)::bigint as last_slot
    from window_bookings
    where t1 > t0
),

edges as (  -- a 19:30-22:15 booking: 0.5 h in slot 19, 0.25 h in slot 22, and whole hours 20 and 21 as a
            -- +1 step at slot 20 and a -1 step at slot 22, summed into a running count below
    select hall_id, first_slot as slot,
           case when first_slot = last_slot then t1 - t0 else first_slot + 1 - t0 end as hours, 0 as step
    from spans
    union all
    select hall_id, last_slot, t1 - last_slot, 0
    from spans
    where last_slot > first_slot
    union all
    select hall_id, first_slot + 1, 0, 1
    from spans
    where last_slot > first_slot + 1
    union all
    select hall_id, last_slot, 0, -1
    from spans
    where last_slot > first_slot + 1
),

slot_edges as (
    select hall_id, slot, sum(hours) as hours, sum(step) as step
    from edges
    group by hall_id, slot
),

hall_slots as (  -- every hour slot of the window per hall: its partial hours plus the running whole-hour count
    select
        hs.hall_id,
        g.slot,
        coalesce(e.hours, 0) + sum(coalesce(e.step, 0)) over (
            partition by hs.hall_id order by g.slot rows between unbounded preceding and current row) as seat_hours
    from hall_seats hs
    join club_window cw on cw.club_id = hs.club_id
    cross join lateral generate_series(floor(cw.first_hour)::bigint, floor(cw.end_hour)::bigint - 1) as g(slot)
    left join slot_edges e on e.hall_id = hs.hall_id and e.slot = g.slot
),

booked as (  -- per weekday and hour; day 0 of the epoch (1970-01-01) was a Thursday, ISO weekday 4
    select
        hall_id,
        (((slot / 24) + 3) % 7 + 1)::integer as dow,
        (slot % 24)::integer as hour,
        sum(seat_hours) as booked_seat_hours
    from hall_slots
    group by hall_id, 2, 3
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
