-- The chain's time zone (the one most clubs use) and its local date at data_as_of().
with tz as (
    select coalesce(
        (select timezone from clubs group by timezone order by count(*) desc, timezone limit 1), 'UTC'
    ) as timezone
)
select tz.timezone, (data_as_of() at time zone tz.timezone)::date as local_today
from tz
