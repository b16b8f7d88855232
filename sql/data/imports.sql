-- The latest imports, newest first.
select id, started_at, imported_by, file_name, file_format, source, club, result, rows_read, rows_added,
       rows_updated, rows_skipped, rows_bad, customers_added, customers_updated, seats_added,
       seconds::float8 as seconds, message
from data_imports
order by started_at desc, id desc
limit :limit
