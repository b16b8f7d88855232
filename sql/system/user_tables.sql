-- Every table that holds rows (partitions included, their partitioned parents not) outside the
-- system schemas: what a backup counts and a restore must find empty.
select n.nspname as schema_name, c.relname as table_name
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
where c.relkind = 'r'
  and n.nspname not in ('pg_catalog', 'information_schema')
  and n.nspname not like 'pg\_%'
order by n.nspname, c.relname
