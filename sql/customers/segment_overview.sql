-- Each segment of the active model: customers whose favourite club is in :club_ids (an empty list
-- returns nothing) and their revenue at those clubs over the 90 days before data_as_of().
with revenue as (
    select b.user_id, sum(p.amount) as revenue_90d
    from payments p
    join club_bookings b on b.booking_id = p.booking_id
    where p.payment_status = 'успешно'
      and club_instant(p.paid_at, b.timezone) >= (select data_as_of()) - interval '90 days'
      and b.club_id = any(cast(:club_ids as int[]))
    group by b.user_id
),
segments as (
    select s.segment, count(*) as customers, coalesce(sum(r.revenue_90d), 0) as revenue_90d,
           avg(s.churn_risk) as avg_churn_risk, avg(s.clv_12m) as avg_clv_12m
    from customer_scores s
    left join revenue r on r.user_id = s.user_id
    where s.version = active_model_version()
      and s.club_id = any(cast(:club_ids as int[]))
    group by s.segment
)
select segment,
       customers,
       revenue_90d::float8 as revenue_90d,
       (customers::float8 / nullif(sum(customers) over (), 0)) as customer_share,
       (revenue_90d / nullif(sum(revenue_90d) over (), 0))::float8 as revenue_share,
       avg_churn_risk::float8 as avg_churn_risk,
       avg_clv_12m::float8 as avg_clv_12m
from segments
order by revenue_90d desc
