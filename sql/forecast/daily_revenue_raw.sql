-- Revenue of each club on each complete club-local day (today is still running), straight from the
-- tables: successful payments of the bookings dated that day. Days without revenue are left out.
with

club as (
    select c.id as club_id, (now() at time zone c.timezone)::date as local_today
    from clubs c
),

club_bookings as (
    select h.club_id, b.id, b.date
    from bookings b
    join seats s on s.id = b.seat_id
    join halls h on h.id = s.hall_id
)

select
    cb.date as day,
    cb.club_id,
    sum(p.amount)::float8 as revenue
from club_bookings cb
join club cl on cl.club_id = cb.club_id
join payments p on p.booking_id = cb.id and p.payment_status = 'успешно'
where cb.date < cl.local_today
group by cb.date, cb.club_id
order by cb.date, cb.club_id
