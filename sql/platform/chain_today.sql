-- The chain's main time zone and its local date at data_as_of().
select chain_timezone() as timezone, (data_as_of() at time zone chain_timezone())::date as local_today
