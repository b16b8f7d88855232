-- What-if slots: seat-hours held in each hall, local day and hour over the :weeks full weeks before
-- :as_of (null: each club's local today), for the same bookings as scenario_baseline (taken by
-- their local start date, cancelled ones left out). Only slots that hold bookings are returned;
-- a slot whose seat-hours reach 95% of the hall's seats was full and may have turned people away.
with

club_window as (
    select c.id as club_id,
           c.timezone,
           coalesce(cast(:as_of as date), (now() at time zone c.timezone)::date) as end_day,
           greatest(coalesce(cast(:as_of as date), (now() at time zone c.timezone)::date) - 7 * cast(:weeks as int),
                    c.opened_on) as first_day
    from clubs c
    where cardinality(cast(:club_ids as int[])) = 0 or c.id = any(cast(:club_ids as int[]))
),

hall_seats as (
    select h.id as hall_id, h.club_id, h.hall_type, count(s.id) filter (where s.is_active) as seats
    from halls h
    join club_window cw on cw.club_id = h.club_id
    left join seats s on s.hall_id = h.id
    group by h.id, h.club_id, h.hall_type
),

window_bookings as (
    select s.hall_id,
           b.start_time at time zone cw.timezone as local_start,
           b.end_time at time zone cw.timezone as local_end
    from bookings b
    join seats s on s.id = b.seat_id
    join halls h on h.id = s.hall_id
    join club_window cw on cw.club_id = h.club_id
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
       hs.seats::int as seats,
       sum(hp.part_hours)::float8 as booked_seat_hours
from hour_parts hp
join hall_seats hs on hs.hall_id = hp.hall_id
group by hs.club_id, hs.hall_id, hs.hall_type, hp.slot, hs.seats
order by hs.hall_id, hp.slot
