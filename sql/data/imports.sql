-- The latest imports, newest first, that the viewer may see: every one for an account of the whole chain
-- (:whole_chain); for one of some clubs (:club_ids), only files imported for one of those clubs by name
-- (a file with a club column can hold any club's rows, so it is not shown).
select d.id, d.started_at, d.imported_by, d.file_name, d.file_format, d.source, d.club, d.result, d.rows_read,
       d.rows_added, d.rows_updated, d.rows_skipped, d.rows_bad, d.customers_added, d.customers_updated,
       d.seats_added, d.seconds::float8 as seconds, d.message
from data_imports d
where cast(:whole_chain as boolean)
   or d.club in (select c.name from clubs c where c.id = any(cast(:club_ids as int[])))
order by d.started_at desc, d.id desc
limit :limit
