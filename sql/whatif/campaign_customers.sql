-- Candidates for a retention campaign: customers with a seat-holding booking (not cancelled) in the 180 days
-- before :as_of (null: data_as_of()) whose home club is one of :club_ids (an empty list returns nothing), from
-- customer_club_bookings() (whole months from rollup_customer_months), with
--   home_club_id      the club of most of those visits
--   visits_180d       visits in those 180 days, days_since_last and mean_gap_days between them
--   spend_90d         successful payments for their bookings of the last 90 days
--   model_risk        churn risk 0-100 from the active model version (customer_scores), if scored
with

bounds as (
    select coalesce(cast(:as_of as timestamptz), data_as_of()) as as_of
),

per_club as (  -- seat-holding bookings per customer and club in the 180 days, with what the last 90 days' paid
    select cb.* from bounds, customer_club_bookings(bounds.as_of - interval '180 days', bounds.as_of,
                                                    bounds.as_of - interval '90 days') cb
),

per_user as (
    select user_id,
           (array_agg(club_id order by visits desc, club_id))[1] as home_club_id,
           sum(visits) as visits_180d,
           max(last_visit) as last_visit,
           extract(epoch from max(last_visit) - min(first_visit)) / 86400.0 / nullif(sum(visits) - 1, 0)
               as mean_gap_days,
           sum(spend)::float8 as spend_90d
    from (select user_id, club_id, bookings as visits, first_start as first_visit, last_start as last_visit, spend
          from per_club) c
    group by user_id
)

select pu.user_id,
       pu.home_club_id,
       pu.visits_180d::int as visits_180d,
       (extract(epoch from bounds.as_of - pu.last_visit) / 86400.0)::float8 as days_since_last,
       pu.mean_gap_days::float8 as mean_gap_days,
       pu.spend_90d,
       cs.churn_risk::float8 as model_risk
from per_user pu
cross join bounds
left join customer_scores cs on cs.user_id = pu.user_id and cs.version = active_model_version()
where pu.home_club_id = any(cast(:club_ids as int[]))
order by pu.user_id
