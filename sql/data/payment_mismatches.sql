-- Data quality: bookings whose payments do not match them.
-- A kept booking has exactly one settled payment (successful, or refunded later) for its price;
-- a cancelled booking keeps no money.
with paid as (
    select booking_id,
           count(*) filter (where payment_status in ('успешно', 'возврат')) as settled,
           count(*) filter (where payment_status = 'успешно') as kept,
           sum(amount) filter (where payment_status in ('успешно', 'возврат')) as total
    from payments
    group by booking_id
)
select b.id as booking_id, b.status, b.price, p.settled, p.kept, p.total
from bookings b
left join paid p on p.booking_id = b.id
where (b.status <> 'отменено' and (coalesce(p.settled, 0) <> 1 or p.total <> b.price))
   or (b.status = 'отменено' and coalesce(p.kept, 0) <> 0)
