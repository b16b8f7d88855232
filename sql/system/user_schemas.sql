-- The schemas a restore with --replace empties (everything but the system's).
select nspname as schema_name
from pg_namespace
where nspname not in ('pg_catalog', 'information_schema')
  and nspname not like 'pg\_%'
order by nspname
