-- RFM scores at :cutoff of the customers who booked at one of :club_ids before it (an empty list returns
-- nothing). The scores are quintiles among every customer of the chain with a visit before the cutoff,
-- as core.customers.segments.segment_customers computes them (a percentile rank with ties averaged,
-- 5 * rank rounded up), so a club's customers are judged against the whole chain; only the chosen
-- clubs' customers come back. Same definitions as customer_features: visits are live or completed
-- bookings that started before the cutoff; spend is successful payments made before it on bookings
-- that started before it.
with

visits as (
    select
        user_id,
        count(*) as frequency,
        min(start_time) as first_visit,
        max(start_time) as last_visit
    from club_bookings
    where start_time < :cutoff
      and status in ('завершено', 'активно')
    group by user_id
),

spend as (
    select b.user_id, sum(p.amount) as monetary_total
    from payments p
    join club_bookings b on b.booking_id = p.booking_id
    where p.payment_status = 'успешно'
      and club_instant(p.paid_at, b.timezone) < :cutoff
      and b.start_time < :cutoff
    group by b.user_id
),

rfm as (
    select
        v.user_id,
        date_part('epoch', cast(:cutoff as timestamptz) - v.last_visit) / 86400 as recency_days,
        v.frequency,
        date_part('epoch', cast(:cutoff as timestamptz) - v.first_visit) / 86400 as tenure_days,
        coalesce(s.monetary_total, 0)::float8 as monetary_total
    from visits v
    left join spend s on s.user_id = v.user_id
),

ranked as (  -- average ranks of ties, as pandas' rank(method="average")
    select
        user_id, recency_days, frequency, tenure_days, monetary_total,
        count(*) over () as n,
        rank() over (order by recency_days desc) + (count(*) over (partition by recency_days) - 1) / 2.0 as r_rank,
        rank() over (order by frequency) + (count(*) over (partition by frequency) - 1) / 2.0 as f_rank,
        rank() over (order by monetary_total) + (count(*) over (partition by monetary_total) - 1) / 2.0 as m_rank
    from rfm
)

select
    r.user_id,
    r.recency_days,
    r.frequency,
    r.tenure_days,
    r.monetary_total,
    least(5, greatest(1, ceil(r.r_rank::float8 / r.n::float8 * 5.0::float8)))::int as r_score,
    least(5, greatest(1, ceil(r.f_rank::float8 / r.n::float8 * 5.0::float8)))::int as f_score,
    least(5, greatest(1, ceil(r.m_rank::float8 / r.n::float8 * 5.0::float8)))::int as m_score
from ranked r
where exists (select 1 from club_bookings b
              where b.user_id = r.user_id
                and b.club_id = any(cast(:club_ids as int[]))
                and b.start_time < :cutoff)
order by r.user_id
