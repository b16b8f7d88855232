-- Recency, frequency, spend and tenure of every customer with a visit before :cutoff (for segment history).
-- Same definitions as customer_features: visits are live or completed bookings that started before the
-- cutoff; spend is successful payments made before it on bookings that started before it.
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
)

select
    v.user_id,
    date_part('epoch', cast(:cutoff as timestamptz) - v.last_visit) / 86400 as recency_days,
    v.frequency,
    date_part('epoch', cast(:cutoff as timestamptz) - v.first_visit) / 86400 as tenure_days,
    coalesce(s.monetary_total, 0)::float8 as monetary_total
from visits v
left join spend s on s.user_id = v.user_id
order by v.user_id
