-- Payments of the file's visits that have an amount and no payment yet.
insert into payments (booking_id, amount, paid_at, payment_status, method, external_source, external_id)
select b.id, v.amount, v.paid_at, v.payment_status, v.method, :source, v.booking_key
from import_visits v
join bookings b on b.external_source = :source and b.external_id = v.booking_key
where v.amount is not null
  and not exists (select 1 from payments p where p.external_source = :source and p.external_id = v.booking_key)
