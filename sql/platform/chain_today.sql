-- The chain's main time zone and its local date at data_as_of().
select z.timezone, (data_as_of() at time zone z.timezone)::date as local_today
from (select chain_timezone() as timezone) z
