-- Customers at risk (churn risk 70% or more, seen in the last 90 days) per home club, under the active model version and the
-- one before it; "high value" is the top 20% by predicted 12-month value within each version. A
-- customer's home club is the one they booked most over the last year (ties: the lowest club id).
with

versions as (  -- the active version and the one it replaced
    select v.version, v.status = 'active' as is_active
    from model_versions v
    where v.status in ('active', 'retired')
    order by (v.status = 'active') desc, v.activated_at desc nulls last
    limit 2
),

home_club as (
    select distinct on (b.user_id) b.user_id, h.club_id
    from bookings b
    join seats s on s.id = b.seat_id
    join halls h on h.id = s.hall_id
    where b.status <> 'отменено'
      and b.start_time >= now() - interval '365 days'
    group by b.user_id, h.club_id
    order by b.user_id, count(*) desc, h.club_id
),

high_value_line as (
    select s.version, percentile_cont(0.8) within group (order by s.clv_12m) as clv_p80
    from customer_scores s
    join versions v using (version)
    group by s.version
)

select
    hc.club_id,
    count(*) filter (where v.is_active and s.churn_risk >= 70)::integer as at_risk_now,
    count(*) filter (where not v.is_active and s.churn_risk >= 70)::integer as at_risk_before,
    count(*) filter (where v.is_active and s.churn_risk >= 70 and s.clv_12m >= hv.clv_p80)::integer
        as high_value_now,
    count(*) filter (where not v.is_active and s.churn_risk >= 70 and s.clv_12m >= hv.clv_p80)::integer
        as high_value_before,
    bool_or(not v.is_active) as has_previous
from customer_scores s
join versions v using (version)
join high_value_line hv using (version)
join home_club hc using (user_id)
where s.recency_days <= 90  -- customers who can still be won back, as ai_dashboard_summary() counts them
group by hc.club_id
order by hc.club_id
