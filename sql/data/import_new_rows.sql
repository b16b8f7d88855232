-- The file's visits that no booking of this source has the key of yet (row numbers, as one array).
select coalesce(array_agg(k.row_no), '{}')
from import_keys k
where not exists (select 1 from bookings b where b.external_source = :source and b.external_id = k.booking_key)
