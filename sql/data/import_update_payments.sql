-- Stored payments of this source that the file changes. Returns their keys.
update payments p
set amount = v.amount, paid_at = v.paid_at, payment_status = v.payment_status, method = v.method
from import_visits v
where v.amount is not null
  and p.external_source = :source and p.external_id = v.booking_key
  and (p.amount, p.paid_at, p.payment_status, p.method)
      is distinct from (v.amount, v.paid_at, v.payment_status, v.method)
returning p.external_id
