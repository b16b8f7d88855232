-- Churn labels at :cutoff for customers who visited before it:
-- 1 when they have no visit in (cutoff, cutoff + :horizon_days days]. Visits are live or completed bookings.
with

visits as (
    select user_id, start_time
    from club_bookings
    where status in ('завершено', 'активно')
      and start_time <= cast(:cutoff as timestamptz) + make_interval(days => cast(:horizon_days as integer))
),

labels as (
    select
        user_id,
        (count(*) filter (where start_time > :cutoff) = 0)::integer as churned
    from visits
    group by user_id
    having count(*) filter (where start_time < :cutoff) > 0
)

select user_id, churned
from labels
order by user_id
