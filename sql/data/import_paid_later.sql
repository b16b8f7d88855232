-- Visits imported before that the file now gives a payment (they count as updated). Returns their keys.
select v.booking_key
from import_visits v
where not v.is_new
  and v.amount is not null
  and not exists (select 1 from payments p where p.external_source = :source and p.external_id = v.booking_key)
