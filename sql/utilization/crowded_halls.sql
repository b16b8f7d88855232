-- Halls whose busiest weekday-hour over the last 12 weeks is at or above a utilization threshold.
with peaks as (
    select club_id, hall_id, hall_type, max(utilization) as peak_utilization
    from mv_hourly_utilization
    where occurrences > 0
    group by club_id, hall_id, hall_type
)
select club_id, hall_type, peak_utilization
from peaks
where peak_utilization >= :threshold
