-- Customers new to this source; a customer without a name is named by the source's id.
insert into users (full_name, email, phone, signed_up_at, external_source, external_id)
select coalesce(s.full_name, s.external_id), s.email, s.phone, coalesce(s.signed_up_at, now()), :source,
       s.external_id
from import_customers s
where not exists (select 1 from users u where u.external_source = :source and u.external_id = s.external_id)
returning id
