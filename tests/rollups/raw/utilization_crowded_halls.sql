-- Before 023: utilization/crowded_halls over mv_hourly_utilization, with the view's query (010) inlined.
with mv_hourly_utilization as (
with

clubs_window as (  -- each club's window in its own time zone
    select club_id, first_day, end_day, first_ts, end_ts
    from club_windows(null, null, 84)
),

slots as (  -- every weekday-hour of every hall
    select hs.hall_id, hs.club_id, hs.hall_type, hs.seats, dow.dow, hr.hour
    from hall_seats hs
    cross join generate_series(1, 7) dow(dow)
    cross join generate_series(0, 23) hr(hour)
),

occurrences as (  -- how often each weekday-hour occurred in the window while the club was open
    select
        cw.club_id,
        extract(isodow from d.day)::integer as dow,
        oh.hour,
        count(*) filter (where oh.is_open) as occurrences
    from clubs_window cw
    cross join lateral generate_series(cw.first_day, cw.end_day - 1, interval '1 day') d(day)
    join club_open_hours oh on oh.club_id = cw.club_id
    group by cw.club_id, extract(isodow from d.day), oh.hour
),

window_bookings as (  -- seat-holding bookings that touch the window, in local time
    select cb.hall_id, cw.first_day, cw.end_day, cb.local_start, cb.local_end
    from club_bookings cb
    join clubs_window cw on cw.club_id = cb.club_id
    where cb.status <> 'отменено'
      and cb.start_time >= (select data_as_of()) - interval '86 days'  -- index-friendly superset of the window
      and cb.end_time > cw.first_ts
      and cb.start_time < cw.end_ts
),

hour_parts as (  -- a 19:30-22:00 booking gives 0.5 h to hour 19, 1 h to 20 and 1 h to 21
    select
        wb.hall_id,
        extract(isodow from g.slot)::integer as dow,
        extract(hour from g.slot)::integer as hour,
        date_part('epoch', least(wb.local_end, g.slot + interval '1 hour') - greatest(wb.local_start, g.slot))
            / 3600 as seat_hours
    from window_bookings wb
    cross join lateral generate_series(date_trunc('hour', wb.local_start), wb.local_end - interval '1 microsecond',
                                       interval '1 hour') g(slot)
    where g.slot >= wb.first_day and g.slot < wb.end_day
),

booked as (
    select hall_id, dow, hour, sum(seat_hours) as booked_seat_hours
    from hour_parts
    group by hall_id, dow, hour
)

select
    sl.club_id,
    sl.hall_id,
    sl.hall_type,
    sl.dow,
    sl.hour,
    coalesce(bk.booked_seat_hours, 0)::double precision as booked_seat_hours,
    sl.seats::integer as seats,
    coalesce(oc.occurrences, 0)::integer as occurrences,
    (coalesce(bk.booked_seat_hours, 0) / nullif(sl.seats * oc.occurrences, 0))::double precision as utilization
from slots sl
left join occurrences oc on oc.club_id = sl.club_id and oc.dow = sl.dow and oc.hour = sl.hour
left join booked bk on bk.hall_id = sl.hall_id and bk.dow = sl.dow and bk.hour = sl.hour
),
peaks as (
    select club_id, hall_id, hall_type, max(utilization) as peak_utilization
    from mv_hourly_utilization
    where occurrences > 0
    group by club_id, hall_id, hall_type
)
select club_id, hall_type, peak_utilization
from peaks
where peak_utilization >= :threshold
