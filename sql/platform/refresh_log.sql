-- When each analytics view was last refreshed.
select view_name, refreshed_at, seconds, row_count
from mv_refresh_log
order by view_name
