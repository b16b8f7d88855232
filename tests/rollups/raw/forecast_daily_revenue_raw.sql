-- Revenue of each club on each complete club-local day (today is still running), straight from the
-- tables: successful payments of the bookings dated that day. Days without revenue are left out.
-- "Today" is the local date at data_as_of(). Only the clubs in :club_ids (an empty list returns nothing).
with

club as (
    select c.id as club_id, (n.at at time zone c.timezone)::date as local_today
    from clubs c
    cross join (select data_as_of() as at) n
    where c.id = any(cast(:club_ids as int[]))
)

select
    cb.date as day,
    cb.club_id,
    sum(p.amount)::float8 as revenue
from club_bookings cb
join club cl on cl.club_id = cb.club_id
join payments p on p.booking_id = cb.booking_id and p.payment_status = 'успешно'
where cb.date < cl.local_today
group by cb.date, cb.club_id
order by cb.date, cb.club_id
