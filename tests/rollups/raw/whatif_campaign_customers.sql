-- Candidates for a retention campaign: customers with a seat-holding booking in the 180 days before
-- :as_of (null: data_as_of()) whose home club is one of :club_ids (an empty list returns nothing), with
--   home_club_id      the club of most of those visits
--   visits_180d       visits in those 180 days, days_since_last and mean_gap_days between them
--   spend_90d         successful payments for their bookings of the last 90 days
--   model_risk        churn risk 0-100 from the active model version (customer_scores), if scored
with

bounds as (
    select coalesce(cast(:as_of as timestamptz), data_as_of()) as as_of
),

visits as (
    select b.user_id, b.club_id, b.booking_id, b.start_time
    from club_bookings b
    cross join bounds
    where b.status in ('завершено', 'неявка', 'активно')
      and b.start_time >= bounds.as_of - interval '180 days'
      and b.start_time < bounds.as_of
),

per_user as (
    select v.user_id,
           mode() within group (order by v.club_id) as home_club_id,
           count(*) as visits_180d,
           max(v.start_time) as last_visit,
           extract(epoch from max(v.start_time) - min(v.start_time)) / 86400.0
               / nullif(count(*) - 1, 0) as mean_gap_days
    from visits v
    group by v.user_id
),

spend as (
    select v.user_id, sum(p.amount)::float8 as spend_90d
    from visits v
    join payments p on p.booking_id = v.booking_id
    cross join bounds
    where p.payment_status = 'успешно'
      and v.start_time >= bounds.as_of - interval '90 days'
    group by v.user_id
)

select pu.user_id,
       pu.home_club_id,
       pu.visits_180d::int as visits_180d,
       (extract(epoch from bounds.as_of - pu.last_visit) / 86400.0)::float8 as days_since_last,
       pu.mean_gap_days::float8 as mean_gap_days,
       coalesce(sp.spend_90d, 0)::float8 as spend_90d,
       cs.churn_risk::float8 as model_risk
from per_user pu
cross join bounds
left join spend sp on sp.user_id = pu.user_id
left join customer_scores cs on cs.user_id = pu.user_id and cs.version = active_model_version()
where pu.home_club_id = any(cast(:club_ids as int[]))
order by pu.user_id
