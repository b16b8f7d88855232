-- Visits imported before that the file now gives a payment (they count as updated). Returns their keys.
select v.booking_key
from import_visits v
where v.amount is not null
  and exists (select 1 from bookings b where b.external_source = :source and b.external_id = v.booking_key)
  and not exists (select 1 from payments p where p.external_source = :source and p.external_id = v.booking_key)
