-- What-if slots: seat-hours held in each hall, local day and hour over the :weeks full weeks before
-- :as_of (null: each club's local today) at the clubs in :club_ids (an empty list returns nothing),
-- for the same bookings as whatif/baseline (taken by their local start date, cancelled ones left out),
-- from rollup_hall_hours. Only slots that hold bookings are returned; a slot whose seat-hours reach 95%
-- of the hall's seats was full and may have turned people away.
with

club_window as materialized (  -- once: club_windows() reads data_as_of(), which reads a table
    select w.club_id, w.first_day, w.end_day
    from club_windows(cast(:as_of as date) - 7 * cast(:weeks as int), cast(:as_of as date) - 1,
                      7 * cast(:weeks as int)) w
    where w.club_id = any(cast(:club_ids as int[]))
),

held as (  -- the window's bookings: own parts of its days, carried parts of the days after them
    select r.hall_id, r.day, r.hour,
           case when r.day < cw.end_day then r.booked_seat_hours - r.carried_seat_hours else 0 end
               + case when r.day > cw.first_day then r.carried_seat_hours else 0 end as booked_seat_hours
    from club_window cw
    join rollup_hall_hours r on r.club_id = cw.club_id and r.day >= cw.first_day and r.day <= cw.end_day
    where r.booked_seat_hours > 0
)

select hs.club_id,
       hs.hall_id,
       hs.hall_type,
       h.day,
       case when extract(isodow from h.day) >= 6 or h.day = any(cast(:holidays as date[]))
            then 'weekend' else 'weekday' end as day_type,
       h.hour,
       hs.seats,
       h.booked_seat_hours::float8 as booked_seat_hours
from held h
join hall_seats hs on hs.hall_id = h.hall_id
where h.booked_seat_hours > 1e-9
order by hs.hall_id, h.day, h.hour
