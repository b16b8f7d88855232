-- The file's visits that no booking of this source has the key of yet (row numbers, as one array).
select coalesce(array_agg(v.row_no), '{}')
from import_visits v
where not exists (select 1 from bookings b where b.external_source = :source and b.external_id = v.booking_key)
