-- The seed's SQL functions, readable from any SQL client (Metabase included).

-- One row per scored customer of the active model version.
create or replace function ai_customer_segmentation()
returns table (
    user_id              integer,
    full_name            text,
    segment              text,
    churn_risk           numeric,
    clv_predicted        numeric,
    upsell_score         numeric,
    probability_alive    numeric,
    expected_visits_30d  numeric,
    next_visit_date      date,
    recommendations      jsonb
)
language sql stable as $$
    select s.user_id, u.full_name, s.segment, s.churn_risk, s.clv_12m, s.upsell_score,
           s.probability_alive, s.expected_visits_30d, s.next_visit_date, s.recommendations
    from customer_scores s
    join users u on u.id = s.user_id
    where s.version = active_model_version()
    order by s.churn_risk desc, s.clv_12m desc
$$;

-- The live KPIs with a predicted value, the confidence in it and an alert level
-- ('normal', 'warning', 'critical'). "Today" is each club's local day.
create or replace function ai_dashboard_summary()
returns table (
    metric_name       text,
    metric_category   text,
    current_value     numeric,
    predicted_value   numeric,
    confidence_level  numeric,
    alert_level       text
)
language sql stable as $$
with club_now as (
    select c.id as club_id,
           (now() at time zone c.timezone)::date as today,
           extract(hour from now() at time zone c.timezone) + extract(minute from now() at time zone c.timezone) / 60.0
               as hour_now,
           (select count(*) from seats s join halls h on h.id = s.hall_id where h.club_id = c.id and s.is_active)
               as seats
    from clubs c
),
club_bookings as (
    select b.*, h.club_id
    from bookings b
    join seats s on s.id = b.seat_id
    join halls h on h.id = s.hall_id
    where b.start_time >= now() - interval '36 days'
),
-- share of a day's revenue (by the booking's local day, as the forecast counts it) usually
-- booked before this local hour, over the last 28 days
hour_profile as (
    select extract(hour from b.start_time at time zone c.timezone)::int as hour, sum(p.amount) as revenue
    from payments p
    join club_bookings b on b.id = p.booking_id
    join clubs c on c.id = b.club_id
    where p.payment_status = 'успешно' and b.start_time >= now() - interval '28 days' and b.start_time < now()
    group by 1
),
day_share as (
    select coalesce(sum(revenue) filter (where hour < (select avg(hour_now) from club_now)), 0)
           / nullif(sum(revenue), 0) as share
    from hour_profile
),
revenue_today as (
    select coalesce(sum(p.amount), 0) as value
    from payments p
    join club_bookings b on b.id = p.booking_id
    join club_now n on n.club_id = b.club_id
    where p.payment_status = 'успешно'
      and b.date = n.today
),
revenue_forecast as (
    select f.yhat, f.lo_80, f.lo_95
    from revenue_forecasts f
    where f.version = active_model_version()
      and f.club_id = 0
      and f.day = (select min(today) from club_now)
),
forecast_quality as (
    select (metrics -> 'forecast' ->> 'smape')::numeric as smape,
           (metrics -> 'churn' ->> 'roc_auc')::numeric as churn_auc
    from model_versions where status = 'active'
),
bookings_today as (
    select count(*) as value
    from club_bookings b
    join club_now n on n.club_id = b.club_id
    where b.date = n.today and b.status <> 'отменено'
),
bookings_usual as (
    -- the same weekday over the last four weeks, whole days
    select count(*) / 4.0 as value
    from club_bookings b
    join club_now n on n.club_id = b.club_id
    where b.date in (n.today - 7, n.today - 14, n.today - 21, n.today - 28)
      and b.status <> 'отменено'
),
-- seat-hours held since local midnight until now: today, and the same weekday 1-4 weeks ago
held_so_far as (
    select w.weeks,
           sum(extract(epoch from least(b.end_time, now() - w.weeks * interval '7 days')
                                  - greatest(b.start_time, (n.today - 7 * w.weeks)::timestamp at time zone c.timezone))
               / 3600.0) as seat_hours
    from generate_series(0, 4) as w(weeks)
    join club_bookings b on true
    join club_now n on n.club_id = b.club_id
    join clubs c on c.id = b.club_id
    where b.status <> 'отменено'
      and b.start_time < now() - w.weeks * interval '7 days'
      and b.end_time > (n.today - 7 * w.weeks)::timestamp at time zone c.timezone
    group by w.weeks
),
utilization_so_far as (
    -- one row even before anything is booked today
    select 100 * coalesce(sum(h.seat_hours) filter (where h.weeks = 0), 0) / nullif(k.capacity, 0) as today,
           100 * coalesce(sum(h.seat_hours) filter (where h.weeks > 0), 0) / 4.0 / nullif(k.capacity, 0) as usual
    from (select sum(seats * greatest(hour_now, 0.25)) as capacity from club_now) k
    left join held_so_far h on true
    group by k.capacity
),
occupied_now as (
    select count(*) as value
    from club_bookings b
    where b.status = 'активно' and b.start_time <= now() and b.end_time > now()
),
occupied_usual as (
    -- seats in use at this moment of the week, 1-4 weeks ago
    select count(*) / 4.0 as value
    from club_bookings b, generate_series(1, 4) as w
    where b.status in ('завершено', 'неявка', 'активно')
      and b.start_time <= now() - w * interval '7 days'
      and b.end_time > now() - w * interval '7 days'
),
compared_versions as (
    -- the active version and the one before it
    select version, status = 'active' as is_active
    from model_versions
    where status in ('active', 'retired')
    order by (status = 'active') desc, activated_at desc nulls last
    limit 2
),
high_value_line as (
    select s.version, percentile_cont(0.8) within group (order by s.clv_12m) as clv_p80
    from customer_scores s
    join compared_versions v using (version)
    group by s.version
),
risk_counts as (
    select count(*) filter (where v.is_active and s.churn_risk >= 70) as at_risk_now,
           count(*) filter (where not v.is_active and s.churn_risk >= 70) as at_risk_before,
           count(*) filter (where v.is_active and s.churn_risk >= 70 and s.clv_12m >= h.clv_p80) as high_value_now,
           count(*) filter (where not v.is_active and s.churn_risk >= 70 and s.clv_12m >= h.clv_p80)
               as high_value_before
    from customer_scores s
    join compared_versions v using (version)
    join high_value_line h using (version)
    where s.recency_days <= 90  -- customers who can still be won back, not long-lapsed ones
)
select 'revenue_today', 'revenue', r.value, round(f.yhat, 0),
       greatest(0, 100 - coalesce(q.smape, 100)),
       case when f.yhat is null or f.lo_95 >= f.yhat or d.share is null then 'normal'
            when r.value < f.lo_95 * d.share then 'critical'
            when r.value < f.lo_80 * d.share then 'warning'
            else 'normal' end
from revenue_today r
cross join day_share d
left join revenue_forecast f on true
left join forecast_quality q on true
union all
select 'bookings_today', 'operations', bt.value, round(bu.value, 0), 80,
       case when bu.value >= 10 and bt.value < 0.5 * bu.value * coalesce(d.share, 1) then 'warning' else 'normal' end
from bookings_today bt cross join bookings_usual bu cross join day_share d
union all
select 'seats_occupied_now', 'operations', o.value, round(u.value, 0), 75,
       case when u.value >= 5 and o.value < 0.5 * u.value then 'warning' else 'normal' end
from occupied_now o cross join occupied_usual u
union all
select 'utilization_today', 'operations', round(u.today, 1), round(u.usual, 1), 80,
       case when u.usual >= 5 and u.today < 0.7 * u.usual then 'warning' else 'normal' end
from utilization_so_far u
union all
select 'customers_at_risk', 'customers', r.at_risk_now, nullif(r.at_risk_before, 0),
       round(100 * coalesce(q.churn_auc, 0), 1),
       case when r.at_risk_before > 0 and r.at_risk_now > 1.2 * r.at_risk_before then 'warning' else 'normal' end
from risk_counts r left join forecast_quality q on true
union all
select 'high_value_at_risk', 'customers', r.high_value_now, nullif(r.high_value_before, 0),
       round(100 * coalesce(q.churn_auc, 0), 1),
       case when r.high_value_before = 0 then 'normal'
            when r.high_value_now > 1.3 * r.high_value_before then 'critical'
            when r.high_value_now > 1.1 * r.high_value_before then 'warning'
            else 'normal' end
from risk_counts r left join forecast_quality q on true
$$;
