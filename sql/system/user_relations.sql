-- How many tables, views, sequences ... live outside the system schemas (0: an empty database).
select count(*)::integer as relations
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
where n.nspname not in ('pg_catalog', 'information_schema')
  and n.nspname not like 'pg\_%'
