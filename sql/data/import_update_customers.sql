-- Customers of this source already known: the file's name, e-mail and phone replace the stored ones
-- when it has them; the sign-up time only moves earlier. Returns the customers that changed.
with wanted as (
    select u.id,
           coalesce(s.full_name, u.full_name) as full_name,
           coalesce(s.email, u.email) as email,
           coalesce(s.phone, u.phone) as phone,
           least(u.signed_up_at, coalesce(s.signed_up_at, u.signed_up_at)) as signed_up_at
    from import_customers s
    join users u on u.external_source = :source and u.external_id = s.external_id
)
update users u
set full_name = w.full_name, email = w.email, phone = w.phone, signed_up_at = w.signed_up_at
from wanted w
where u.id = w.id
  and (u.full_name, u.email, u.phone, u.signed_up_at) is distinct from (w.full_name, w.email, w.phone, w.signed_up_at)
returning u.id
