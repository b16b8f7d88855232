-- Customers at risk per home club, under the active model version and the one before it: churn risk
-- at or above product_threshold('high_risk'), seen within product_threshold('win_back_days') days.
-- "High value" is the top product_threshold('high_value_share') of customers by predicted 12-month
-- value within each version (over the whole chain). A customer's home club is the one they booked
-- most since a year before data_as_of() (ties: the lowest club id; customer_club_bookings(), migration 023).
-- Only home clubs in :club_ids
-- (an empty list returns nothing).
with

limits as (
    select product_threshold('high_risk') as high_risk,
           product_threshold('win_back_days') as win_back_days,
           1 - product_threshold('high_value_share') as high_value_quantile
),

versions as (  -- the active version and the one it replaced
    select v.version, v.status = 'active' as is_active
    from model_versions v
    where v.status in ('active', 'retired')
    order by (v.status = 'active') desc, v.activated_at desc nulls last
    limit 2
),

home_club as materialized (  -- seat-holding bookings per club since a year before data_as_of(), whole months from the rollup
    select distinct on (cb.user_id) cb.user_id, cb.club_id
    from customer_club_bookings((select data_as_of()) - interval '365 days', null) cb
    order by cb.user_id, cb.bookings desc, cb.club_id
),

high_value_line as materialized (  -- once, not once per customer
    select s.version, percentile_cont((select high_value_quantile from limits)) within group (order by s.clv_12m)
               as clv_line
    from customer_scores s
    join versions v using (version)
    group by s.version
)

select
    hc.club_id,
    count(*) filter (where v.is_active and s.churn_risk >= l.high_risk)::integer as at_risk_now,
    count(*) filter (where not v.is_active and s.churn_risk >= l.high_risk)::integer as at_risk_before,
    count(*) filter (where v.is_active and s.churn_risk >= l.high_risk and s.clv_12m >= hv.clv_line)::integer
        as high_value_now,
    count(*) filter (where not v.is_active and s.churn_risk >= l.high_risk and s.clv_12m >= hv.clv_line)::integer
        as high_value_before,
    bool_or(not v.is_active) as has_previous
from customer_scores s
cross join limits l
join versions v using (version)
join high_value_line hv using (version)
join home_club hc using (user_id)
where s.recency_days <= l.win_back_days  -- customers who can still be won back, as ai_dashboard_summary() counts them
  and hc.club_id = any(cast(:club_ids as int[]))
group by hc.club_id
order by hc.club_id
