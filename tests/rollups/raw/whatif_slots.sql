-- What-if slots: seat-hours held in each hall, local day and hour over the :weeks full weeks before
-- :as_of (null: each club's local today) at the clubs in :club_ids (an empty list returns nothing),
-- for the same bookings as whatif/baseline (taken by their local start date, cancelled ones left out).
-- Only slots that hold bookings are returned; a slot whose seat-hours reach 95% of the hall's seats
-- was full and may have turned people away.
with

club_window as (
    select w.club_id, w.first_day, w.end_day
    from club_windows(cast(:as_of as date) - 7 * cast(:weeks as int), cast(:as_of as date) - 1,
                      7 * cast(:weeks as int)) w
    where w.club_id = any(cast(:club_ids as int[]))
),

window_bookings as (
    select b.hall_id, b.local_start, b.local_end
    from club_bookings b
    join club_window cw on cw.club_id = b.club_id
    where b.status <> 'отменено'
      and b.date >= cw.first_day
      and b.date < cw.end_day
      and b.start_time >= (select min(first_day) from club_window) - interval '2 days'
      and b.start_time < (select max(end_day) from club_window) + interval '2 days'
),

hour_parts as (
    select wb.hall_id,
           g.slot,
           extract(epoch from least(wb.local_end, g.slot + interval '1 hour') - greatest(wb.local_start, g.slot))
               / 3600.0 as part_hours
    from window_bookings wb
    cross join lateral generate_series(date_trunc('hour', wb.local_start), wb.local_end - interval '1 microsecond',
                                       interval '1 hour') g(slot)
)

select hs.club_id,
       hs.hall_id,
       hs.hall_type,
       hp.slot::date as day,
       case when extract(isodow from hp.slot) >= 6 or hp.slot::date = any(cast(:holidays as date[]))
            then 'weekend' else 'weekday' end as day_type,
       extract(hour from hp.slot)::int as hour,
       hs.seats,
       sum(hp.part_hours)::float8 as booked_seat_hours
from hour_parts hp
join hall_seats hs on hs.hall_id = hp.hall_id
group by hs.club_id, hs.hall_id, hs.hall_type, hp.slot, hs.seats
order by hs.hall_id, hp.slot
