-- Refresh the analytics views (concurrently when :concurrent and already populated); logs each one.
select view_name, seconds, row_count, was_concurrent
from refresh_analytics(cast(:concurrent as boolean))
