-- Whether audit_logs has its monthly partitions for this month and the next (server dates).
select to_char(m.month, 'YYYY-MM') as month,
       exists (
           select 1
           from pg_inherits i
           join pg_class c on c.oid = i.inhrelid
           where i.inhparent = 'audit_logs'::regclass
             and c.relname = 'audit_logs_' || to_char(m.month, 'YYYY_MM')
       ) as present
from (
    select date_trunc('month', current_date)::date as month
    union all
    select (date_trunc('month', current_date) + interval '1 month')::date
) m
order by m.month
